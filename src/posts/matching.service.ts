import type { Db, Queryable, Tx } from '../db/pool';
import { isUniqueViolation } from '../db/pool';
import { newId } from '../ids';
import type { InboundPost } from '../x/x.port';
import { uniqueFollowups, type Followup } from '../queue/followups';
import { hashtagKey } from '../products/hashtag';
import { assertTransition, COMMITS_SPEND, INITIAL_STATUSES, type OrderStatus } from '../orders/lifecycle';
import { addressHoldOf } from '../orders/address-hold';
import { CONFIRM_WINDOW_MINUTES, renderReply, type ReplyKind } from '../replies/templates';
import { needsConfirmation, unitsFreeForNewPosts, waitlistPlace } from '../waitlist/rules';
import { paidBefore, waitingCounts } from '../waitlist/waitlist.repository';
import type { LinkSigner } from '../links/links';
import { compareIds } from '../ingest/ids';
import { chainIdOf, planPost, screen, type PostPlan } from './decide';
import * as batch from './batch.repository';
import * as turns from './batch-turns';
import { batchVariants, VariantLedger } from '../variants/variant-ledger';
import { isUnlimitedStock } from '../products/stock.repository';
import type { ProductRow } from '../products/products.repository';
import * as controls from '../controls/batch-controls';
import type { AccountFactsSource } from '../review/account-facts';
import type { AccountFacts } from '../review/review-rules';

export interface MatchingDeps {
  db: Db;
  signer: LinkSigner;
  publicBaseUrl: string;
  shopUsername: string;
  shopUserId?: string | null;
  requireMention: boolean;
  signupTtlHours?: number;
  /** Posts that take a path of their own (one at a time, after the batch), not the purchase rules. */
  separate?: SeparatePath;
  /** X facts about buyers for review rules (issue 15), read before the batch's transaction. */
  accountFacts?: AccountFactsSource;
}

export interface SeparatePath {
  takes(post: InboundPost): boolean;
  handle(post: InboundPost, now: Date): Promise<MatchResult>;
}

export interface MatchResult {
  outcome: string;
  reason: string | null;
  orderIds: string[];
  followups: Followup[];
  /** Refunds a buyer's #cancel wrote: Stripe is asked for them after commit (refunds.service processPending). */
  refundIds?: string[];
}
export interface PostResult extends MatchResult { postId: string }
export interface BatchResult {
  /** One per distinct post, in post-id order (separate-path posts last). */
  results: PostResult[];
  /** Every result's follow-up work, once each: enqueue after commit. */
  followups: Followup[];
}

/** A job entry that is not a readable post but carries a post id: recorded as ignored, never retried. */
export interface MalformedPost { id: string; authorId: string | null }

const MALFORMED = { outcome: 'ignored', reason: 'malformed' } as const;

/** A batch's place among concurrent batches: its first post and the hashtags it asks for. */
interface Turn { id: string; firstPostId: string; hashtagKeys: string[] }

/** A batch that found units left without a turn (one was freed since it looked): it takes one, then runs again. */
class TurnNeeded extends Error {
  constructor() {
    super('units are left: the batch takes its turn');
  }
}

/** Live batches hold earlier posts for the same limited stock: this one waits for them, then runs again. */
class EarlierBatchesFirst extends Error {
  constructor(readonly ids: string[]) {
    super('earlier batches are deciding the same stock');
  }
}

async function inTransaction<T>(client: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
const PROCESSING = { outcome: 'processing', reason: null } as const;

/**
 * Decides posts in batches: each post gets exactly one recorded outcome and at most one order,
 * in one transaction per batch with a fixed number of statements, in post-id order (the earlier
 * post gets the last unit). Re-running a batch changes nothing for the posts it already decided
 * and returns the work they still have pending, so a crash between commit and enqueue loses nothing.
 */
export function createMatchingService(d: MatchingDeps) {
  const ttlHours = d.signupTtlHours ?? 24;

  /** One attempt at the batch; null results for posts recorded before it (not claimed here). */
  async function decideBatch(
    client: Tx, posts: InboundPost[], malformed: MalformedPost[], now: Date, turn: Turn | null, facts: Map<string, AccountFacts>,
  ): Promise<Map<string, PostResult>> {
    const screened = new Map(posts.map((p) => [p.id, screen(p, d)]));
    const open = posts.filter((p) => !screened.get(p.id));
    const claims: batch.PostClaim[] = [
      ...posts.map((p) => ({
        tweetId: p.id, authorId: p.authorId, authorUsername: p.authorUsername, text: p.text, postedAt: p.createdAt,
        ...(screened.get(p.id) ?? PROCESSING), originalTweetId: p.editHistoryIds.length > 1 ? p.editHistoryIds[0]! : null,
      })),
      ...malformed.map((m) => ({ tweetId: m.id, authorId: m.authorId ?? '', authorUsername: null, text: '', postedAt: null, ...MALFORMED, originalTweetId: null })),
    ].sort((a, b) => compareIds(a.tweetId, b.tweetId));

    const results = new Map<string, PostResult>();
    const settle = (postId: string, outcome: string, reason: string | null): PostResult => {
      const r: PostResult = { postId, outcome, reason, orderIds: [], followups: [] };
      results.set(postId, r);
      return r;
    };

    const run = async (q: Queryable): Promise<void> => {
      const unique = (xs: string[]) => [...new Set(xs)];
      const claim = await batch.claimPosts(q, claims, unique(open.map((p) => p.authorId)), unique(open.map(chainIdOf)));
      for (const p of posts) {
        const s = screened.get(p.id);
        if (s && claim.claimed.has(p.id)) settle(p.id, s.outcome, s.reason);
      }
      for (const m of malformed) if (claim.claimed.has(m.id)) settle(m.id, MALFORMED.outcome, MALFORMED.reason);
      await controls.attributePosts(q, posts.filter((p) => claim.claimed.has(p.id)));
      const mine = open.filter((p) => claim.claimed.has(p.id));
      if (!mine.length) return;
      const products = await batch.liveProducts(q, unique(mine.flatMap((p) => p.hashtags.map(hashtagKey))));
      const variantsOf = await batchVariants(q, products);
      // Merchant controls (issue 15): blocked accounts, paused sales, review rules.
      const control = await controls.readBatchControls(q, unique(mine.map((p) => p.authorId)), products, facts);
      // A sale resumed with its recorded posts to process: they are decided first, in post order.
      const limitedOpen = products.filter((p) => p.inventory !== null && !p.paused_at).map((p) => p.id);
      const ahead = await controls.productsWithRecordedPostsAhead(q, limitedOpen, mine[0]!.id);
      if (ahead.length) throw new controls.RecordedPostsFirst(ahead);
      const paused: controls.PausedWrite[] = [];
      const reviews: controls.ReviewWrite[] = [];

      // The rules, post by post in id order; an edit chain buys once, with its first version that
      // places an order (whatever becomes of it). A version that cannot buy never decides its chain.
      const chainsBought = new Set(claim.chainsBought);
      const plans = new Map<string, PostPlan>();
      for (const post of mine) {
        const chain = chainIdOf(post);
        if (chainsBought.has(chain)) {
          plans.set(post.id, { kind: 'decided', outcome: 'ignored', reason: 'edit_of_handled_post' });
          continue;
        }
        const keys = new Set(post.hashtags.map(hashtagKey));
        const candidates = products.filter((p) => keys.has(p.hashtag_key));
        if (controls.isBlocked(control, post.authorId, candidates)) {
          plans.set(post.id, controls.BLOCKED_PLAN);
          continue;
        }
        let plan = planPost(post, post.createdAt ? new Date(post.createdAt) : now, candidates, d.shopUsername, variantsOf);
        if (plan.kind === 'order') plan = controls.pausedPlan(control, post, plan.product, d.shopUsername, paused) ?? plan;
        if (plan.kind === 'order') chainsBought.add(chain);
        plans.set(post.id, plan);
      }

      // Locks, buyers then products (as every other writer takes them), each in id order.
      const buying = mine.flatMap((post) => {
        const plan = plans.get(post.id)!;
        return plan.kind === 'order' ? [{ post, plan, buyer: claim.buyers.get(post.authorId) }] : [];
      });
      const limited = unique(buying.flatMap((b) => (b.buyer && b.buyer.daily_limit_amount !== null ? [b.buyer.id] : []))).sort();
      const limits = limited.length ? await batch.lockBuyerLimits(q, limited) : new Map<string, number | null>();
      const spenders = buying.filter((b) => b.buyer && (limits.get(b.buyer.id) ?? null) !== null);
      const spent = spenders.length
        ? await batch.spentTodayByBuyer(q, unique(spenders.map((b) => b.post.authorId)), unique(spenders.map((b) => b.plan.product.currency)))
        : new Map<string, number>();
      // A buyer without a card takes no unit, but joins the waitlist when none is free.
      const stocked = unique(buying.flatMap((b) => (b.buyer || b.plan.product.waitlist ? [b.plan.product.id] : []))).sort();
      // Unlimited stock keeps no count: its batches read it side by side. Without a turn, every other
      // product limited: the batch can only find them sold out (else it takes its turn). A capped
      // waitlist is counted under the write lock: batches reading side by side could each fill its last places.
      const stockedProducts = products.filter((p) => stocked.includes(p.id));
      const lockMode = stockedProducts.every(isUnlimitedStock) ? 'unlimited'
        : stockedProducts.every((p) => isUnlimitedStock(p) || (!turn && p.inventory !== null && p.waitlist_limit === null)) ? 'share' : 'update';
      const shared = lockMode !== 'update';
      const locked = stocked.length ? await batch.lockStock(q, stocked, lockMode) : new Map<string, batch.LockedStock>();
      // Under the lock, a product must still be what the batch read it as: one a merchant switched
      // since (to or from unlimited stock) is taken under the right lock in a new run of the batch.
      // (So is one whose limit moved to its variants, which a shared lock does not protect.)
      const changed = (p: ProductRow) => locked.get(p.id)!.unlimited !== isUnlimitedStock(p)
        || (shared && !locked.get(p.id)!.unlimited && locked.get(p.id)!.available === null);
      if (products.some((p) => locked.has(p.id) && changed(p))) throw new TurnNeeded();
      const unlimited = new Set(products.filter((p) => locked.get(p.id)?.unlimited).map((p) => p.id));
      const stock = new Map([...locked].map(([id, s]) => [id, s.available]));
      const variantStock = await VariantLedger.read(q, buying.flatMap((b) => (b.buyer && b.plan.variant ? [b.plan.variant.row.id] : [])));
      // Queued on these locks behind this batch may be one with earlier posts: it goes first. A
      // product with no unit left needs no turn (an earlier batch can only take units, not give).
      const unitsLeft = (id: string) => stock.get(id) !== null && stock.get(id)! > 0;
      if (!turn && products.some((p) => stock.has(p.id) && unitsLeft(p.id))) throw new TurnNeeded();
      const limitedKeys = unique(products.filter((p) => stock.has(p.id) && (unitsLeft(p.id) || (stock.get(p.id) === null && variantStock.anyLimited(variantsOf(p.id))))).map((p) => p.hashtag_key));
      if (turn && limitedKeys.length) {
        const earlier = await turns.earlierBatches(q, turn.id, turn.firstPostId, limitedKeys);
        if (earlier.length) throw new EarlierBatchesFirst(earlier);
      }
      // Read under the product locks: who waits already, and (for a first-purchase #confirm) who paid before.
      const waiting = stocked.length ? await waitingCounts(q, stocked) : new Map<string, number>();
      const firstPurchase = buying.filter((b) => b.buyer && b.plan.product.confirm === 'first_purchase');
      const paid = firstPurchase.length
        ? await paidBefore(q, unique(firstPurchase.map((b) => b.post.authorId)), unique(firstPurchase.map((b) => b.plan.product.merchant_id)))
        : new Set<string>();

      const w: batch.BatchWrites = { stock: [], orders: [], events: [], signupTokens: [], replies: [], outcomes: [] };
      const taken = new Map<string, number>();
      const replyFollowups = new Map<string, Followup>();
      const reply = (r: PostResult, inReplyTo: string, orderId: string | null, kind: ReplyKind, text: string) => {
        const id = newId('rep');
        w.replies.push({ id, in_reply_to_tweet_id: inReplyTo, order_id: orderId, kind, text });
        const f: Followup = { kind: 'reply', replyId: id, replyKind: kind, subject: orderId ?? inReplyTo };
        replyFollowups.set(id, f);
        r.followups.push(f);
      };

      for (const post of mine) {
        const plan = plans.get(post.id)!;
        if (plan.kind === 'decided') {
          const r = settle(post.id, plan.outcome, plan.reason);
          if (plan.reply) reply(r, post.id, null, plan.reply.kind, plan.reply.text);
          continue;
        }
        const { product, quantity, variant } = plan;
        const buyer = claim.buyers.get(post.authorId);
        const amount = plan.unitAmount * quantity;
        const orderId = newId('ord');
        const ctx = { product: variant?.itemName ?? product.name, quantity, amount, currency: product.currency, orderId };
        // Every status an order starts in, and every move after, is the lifecycle table's to allow.
        const order = (status: OrderStatus, o: { stockHeld: boolean; failureCode?: string; failureMessage?: string; replied: boolean }) => {
          if (!INITIAL_STATUSES.includes(status)) throw new Error(`an order cannot begin as ${status}`);
          const row: batch.OrderWrite = {
            id: orderId, merchant_id: product.merchant_id, product_id: product.id, variant_id: variant?.row.id ?? null, variant: variant?.snapshot ?? null,
            tweet_id: post.id, chain_id: chainIdOf(post),
            buyer_x_user_id: post.authorId, buyer_x_username: post.authorUsername, buyer_id: buyer?.id ?? null, quantity, amount,
            currency: product.currency, status, stock_held: o.stockHeld, failure_code: o.failureCode ?? null,
            failure_message: o.failureMessage ?? null, reply_status: o.replied ? 'pending' : 'none', action_expires_at: null,
          };
          w.orders.push(row);
          w.events.push({ order_id: orderId, type: 'order.created', data: { quantity, amount } }, { order_id: orderId, type: `order.${status}`, data: { quantity, amount } });
          return row;
        };
        const move = (row: batch.OrderWrite, to: OrderStatus, data: Record<string, unknown>) => {
          assertTransition(row.status, to);
          row.status = to;
          w.events.push({ order_id: row.id, type: `order.${to}`, data });
        };
        const placed = (outcome: string, reason: string | null) => {
          const r = settle(post.id, outcome, reason);
          r.orderIds.push(orderId);
          return r;
        };

        // No unit for this post (none left, or the waitlist has them): it joins the waitlist or is told it is sold out.
        const outOfStock = () => {
          const free = unitsFreeForNewPosts(stock.has(product.id) ? stock.get(product.id)! : 0, waiting.get(product.id) ?? 0);
          return free !== null && free < quantity;
        };
        const queueOrSoldOut = () => {
          const ahead = waiting.get(product.id) ?? 0;
          // Read side by side with other sold-out batches (no turn, shared lock), `ahead` misses their
          // new places, so the number can be low under concurrency; the true place, by post id, is on /account.
          if (waitlistPlace(product, ahead) === 'join') {
            waiting.set(product.id, ahead + 1);
            order('waitlisted', { stockHeld: false, replied: true });
            reply(placed('waitlisted', null), post.id, orderId, 'waitlisted', renderReply('waitlisted', { ...ctx, position: ahead + 1 }));
            return;
          }
          order('sold_out', { stockHeld: false, failureCode: 'sold_out', replied: true });
          reply(placed('sold_out', null), post.id, orderId, 'sold_out', renderReply('sold_out', ctx));
        };

        if (!buyer) {
          if (product.waitlist && outOfStock()) {
            queueOrSoldOut();
            continue;
          }
          order('awaiting_signup', { stockHeld: false, replied: true });
          const tokenId = d.signer.newTokenId();
          w.signupTokens.push({ id: tokenId, x_user_id: post.authorId, order_id: orderId });
          reply(placed('awaiting_signup', null), post.id, orderId, 'signup',
            renderReply('signup', { ...ctx, url: `${d.publicBaseUrl}/link/${d.signer.sign('signup', tokenId)}` }));
          continue;
        }
        const limit = buyer.daily_limit_amount === null ? null : (limits.get(buyer.id) ?? null);
        const spendKey = batch.spendKey(post.authorId, product.currency);
        if (limit !== null && (spent.get(spendKey) ?? 0) + amount > limit) {
          order('failed', { stockHeld: false, failureCode: 'daily_limit_exceeded', failureMessage: 'would exceed the buyer\'s daily spending limit', replied: true });
          reply(placed('rejected', 'daily_limit_exceeded'), post.id, orderId, 'spending_limit', renderReply('spending_limit', { ...ctx, url: `${d.publicBaseUrl}/account` }));
          continue;
        }
        if (outOfStock()) {
          queueOrSoldOut();
          continue;
        }
        // Stock is per variant too: a variant with no units left is sold out (the waitlist is per product).
        if (!variantStock.has(variant, quantity)) {
          order('sold_out', { stockHeld: false, failureCode: 'sold_out', replied: true });
          reply(placed('sold_out', null), post.id, orderId, 'sold_out', renderReply('sold_out', ctx));
          continue;
        }
        const available = stock.has(product.id) ? stock.get(product.id)! : 0;
        const left = available === null ? null : available - quantity;
        stock.set(product.id, left);
        // Unlimited stock: nothing is held, nothing counted (the product's row is not written).
        const holds = !unlimited.has(product.id);
        if (holds) taken.set(product.id, (taken.get(product.id) ?? 0) + quantity);
        const variantSoldOut = variantStock.take(variant, quantity, orderId, product.id);
        // Held for the merchant's review, its units with it, before anything else is asked of the buyer
        // (an order the merchant approves is charged without a #confirm).
        const review = controls.reviewHold(control, post.authorId, product, amount, now);
        const confirm = !review.reasons.length
          && needsConfirmation(product, amount, { alwaysConfirm: buyer.always_confirm, paidBefore: paid.has(`${post.authorId}|${product.merchant_id}`) });
        const row = order(confirm ? 'awaiting_confirmation' : 'reserved', { stockHeld: holds, replied: confirm });
        if (variantSoldOut) w.events.push(variantSoldOut);
        // The order that took the last unit carries the product's sold-out event.
        if (left === 0) w.events.push({ order_id: orderId, type: 'product.sold_out', data: { product: product.id } });
        if (review.reasons.length) {
          move(row, 'in_review', { reasons: review.reasons });
          reviews.push({ order_id: orderId, reasons: review.reasons, window_hours: review.rules!.window_hours, on_expiry: review.rules!.on_window_expiry });
          spent.set(spendKey, (spent.get(spendKey) ?? 0) + amount);
          placed('order_created', null);
          continue;
        }
        if (confirm) {
          // The unit is held while the buyer has CONFIRM_WINDOW_MINUTES to reply #confirm, counted from now (when they are asked).
          row.action_expires_at = new Date(now.getTime() + CONFIRM_WINDOW_MINUTES * 60_000).toISOString();
          spent.set(spendKey, (spent.get(spendKey) ?? 0) + amount);
          reply(placed('order_created', null), post.id, orderId, 'confirm_request', renderReply('confirm_request', ctx));
          continue;
        }
        // Digital goods skip the address look-up; a product that ships waits for an address it ships to.
        const hold = addressHoldOf(product, buyer.shipping, row, product.name, d.publicBaseUrl);
        if (hold) {
          move(row, 'awaiting_details', { reason: hold.reason });
          row.reply_status = 'pending';
        }
        if (COMMITS_SPEND.includes(row.status)) spent.set(spendKey, (spent.get(spendKey) ?? 0) + amount);
        const r = placed('order_created', null);
        if (hold) reply(r, post.id, orderId, 'address_needed', hold.text);
        else r.followups.push({ kind: 'charge', orderId });
      }
      w.stock = [...taken].map(([product_id, quantity]) => ({ product_id, quantity }));
      w.outcomes = mine.map((p) => ({ tweet_id: p.id, outcome: results.get(p.id)!.outcome, reason: results.get(p.id)!.reason }));
      const written = await batch.writeDecisions(q, w, ttlHours, turn && { ...turn, hashtagKeys: limitedKeys });
      if (written.earlierBatches.length) throw new EarlierBatchesFirst(written.earlierBatches);
      await controls.writeBatchControls(q, paused, reviews);
      // A reply not written (one of its kind was already there) has no job to add.
      for (const r of results.values()) r.followups = r.followups.filter((f) => f.kind !== 'reply' || written.replyIds.has(f.replyId));
    };

    // Posts that need no database beyond their own row are one statement, without a transaction.
    if (open.length) await inTransaction(client, run);
    else await run(client);
    return results;
  }

  async function handleBatch(input: InboundPost[], opts: { now?: Date; malformed?: MalformedPost[] } = {}): Promise<BatchResult> {
    const now = opts.now ?? new Date();
    const separate = d.separate ? input.filter((p) => d.separate!.takes(p)) : [];
    const byId = new Map<string, InboundPost>();
    for (const p of input) if (!separate.includes(p) && !byId.has(p.id)) byId.set(p.id, p);
    const posts = [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
    const malformed = (opts.malformed ?? []).filter((m) => !byId.has(m.id));

    let decided = new Map<string, PostResult>();
    if (posts.length || malformed.length) {
      const open = posts.filter((p) => !screen(p, d));
      // Asked before the transaction: no lock is held while X answers.
      const facts = d.accountFacts && open.length
        ? await d.accountFacts.factsFor([...new Set(open.map((p) => p.authorId))], [...new Set(open.flatMap((p) => p.hashtags.map(hashtagKey)))])
        : new Map<string, AccountFacts>();
      const client = await d.db.connect();
      let turn = null as Turn | null;
      let broken = undefined as Error | undefined;
      let waitFor: string[] = [];
      // A batch for limited stock with units left takes a turn; one for sold-out stock does not.
      const takeTurn = async () => {
        const hashtagKeys = [...new Set(open.flatMap((p) => p.hashtags.map(hashtagKey)))];
        const announced = await turns.announceBatch(client, open[0]!.id, hashtagKeys).catch((err: Error) => {
          // The statement may have taken its advisory lock before failing: this connection is not reused.
          broken = err;
          throw err;
        });
        if (announced.id) turn = { id: announced.id, firstPostId: open[0]!.id, hashtagKeys };
        waitFor = announced.earlier;
      };
      try {
        if (open.length) await takeTurn();
        for (let attempt = 1, turnsTaken = 1; ; ) {
          if (waitFor.length) await turns.awaitBatches(client, waitFor, turn?.hashtagKeys ?? []);
          try {
            decided = await decideBatch(client, posts, malformed, now, turn, facts);
            break;
          } catch (err) {
            if (err instanceof EarlierBatchesFirst) {
              waitFor = err.ids;
              continue;
            }
            // Units were freed since the batch looked: it takes its turn now (a few tries, then the job retries).
            if (err instanceof TurnNeeded && turnsTaken++ < 5) {
              await takeTurn();
              continue;
            }
            // Another version of a post's chain bought in a concurrent batch: everything rolled back
            // (the claims too), and deciding again finds that version's order.
            if (attempt++ >= 3 || !isUniqueViolation(err, 'orders_one_per_edit_chain')) throw err;
          }
        }
      } finally {
        if (turn) await turns.retireBatch(client, turn.id).catch((err: Error) => (broken = err));
        // A connection that could not let go of its turn is closed: the lock goes with it.
        client.release(broken);
      }
    }
    const ids = [...posts.map((p) => p.id), ...malformed.map((m) => m.id)];
    const recordedIds = ids.filter((id) => !decided.has(id));
    const recorded = recordedIds.length ? await batch.recordedPosts(d.db, recordedIds) : new Map<string, batch.RecordedPost>();
    const results: PostResult[] = ids.map((id) => {
      const fresh = decided.get(id);
      if (fresh) return fresh;
      const before = recorded.get(id);
      return { postId: id, outcome: before?.outcome ?? 'unknown', reason: before?.reason ?? null, orderIds: [], followups: before?.followups ?? [] };
    });
    for (const p of separate) results.push({ postId: p.id, ...(await d.separate!.handle(p, now)) });
    return { results, followups: uniqueFollowups(results.flatMap((r) => r.followups)) };
  }

  return {
    handleBatch,
    /** One post: a batch of one (the same rules, the same statements). */
    async handlePost(post: InboundPost, now = new Date()): Promise<MatchResult> {
      const { results: [r] } = await handleBatch([post], { now });
      const { postId: _id, ...result } = r!;
      return result;
    },
  };
}
export type MatchingService = ReturnType<typeof createMatchingService>;
