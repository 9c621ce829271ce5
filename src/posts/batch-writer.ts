import { newId } from '../ids';
import type { InboundPost } from '../x/x.port';
import type { Followup } from '../queue/followups';
import { assertTransition, COMMITS_SPEND, INITIAL_STATUSES, type OrderStatus } from '../orders/lifecycle';
import { addressHoldOf } from '../orders/address-hold';
import { CONFIRM_WINDOW_MINUTES, renderReply, type ReplyKind } from '../replies/templates';
import { needsConfirmation, unitsFreeForNewPosts, waitlistPlace } from '../waitlist/rules';
import * as controls from '../controls/batch-controls';
import { chainIdOf, type PostPlan } from './decide';
import * as batch from './batch.repository';
import type { LockedBatch, Purchase } from './batch-locks';
import type { MatchingDeps, PostResult } from './matching-context';

export interface BatchWriterInput {
  deps: Pick<MatchingDeps, 'signer' | 'publicBaseUrl'>;
  now: Date;
  /** Records a post's outcome among the batch's results and returns it. */
  settle(postId: string, outcome: string, reason: string | null): PostResult;
  locked: LockedBatch;
  control: controls.BatchControls;
}

/**
 * A batch's plans as the rows it writes, post by post in id order: orders with their events, signup
 * tokens, replies, review holds and the units taken, counted down in the locked stock as each post
 * takes them (the earlier post gets the last unit). Written in one statement (batch.writeDecisions).
 */
export function createBatchWriter({ deps: d, now, settle, locked, control }: BatchWriterInput) {
  const { limits, spent, stock, unlimited, variantStock, waiting, paid } = locked;
  const w: batch.BatchWrites = { stock: [], orders: [], events: [], signupTokens: [], replies: [], outcomes: [] };
  const taken = new Map<string, number>();
  const reviews: controls.ReviewWrite[] = [];
  const reply = (r: PostResult, inReplyTo: string, orderId: string | null, kind: ReplyKind, text: string) => {
    const id = newId('rep');
    w.replies.push({ id, in_reply_to_tweet_id: inReplyTo, order_id: orderId, kind, text });
    const f: Followup = { kind: 'reply', replyId: id, replyKind: kind, subject: orderId ?? inReplyTo };
    r.followups.push(f);
  };

  /** A post settled without an order, with the reply its plan has for it. */
  function decided(post: InboundPost, plan: Extract<PostPlan, { kind: 'decided' }>): void {
    const r = settle(post.id, plan.outcome, plan.reason);
    if (plan.reply) reply(r, post.id, null, plan.reply.kind, plan.reply.text);
  }

  /** A post that buys: the order it places, in the status its buyer, the stock and the merchant's rules put it in. */
  function buy({ post, plan, buyer }: Purchase): void {
    const { product, quantity, variant } = plan;
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
        return;
      }
      order('awaiting_signup', { stockHeld: false, replied: true });
      const tokenId = d.signer.newTokenId();
      w.signupTokens.push({ id: tokenId, x_user_id: post.authorId, order_id: orderId });
      reply(placed('awaiting_signup', null), post.id, orderId, 'signup',
        renderReply('signup', { ...ctx, url: `${d.publicBaseUrl}/link/${d.signer.sign('signup', tokenId)}` }));
      return;
    }
    const limit = buyer.daily_limit_amount === null ? null : (limits.get(buyer.id) ?? null);
    const spendKey = batch.spendKey(post.authorId, product.currency);
    if (limit !== null && (spent.get(spendKey) ?? 0) + amount > limit) {
      order('failed', { stockHeld: false, failureCode: 'daily_limit_exceeded', failureMessage: 'would exceed the buyer\'s daily spending limit', replied: true });
      reply(placed('rejected', 'daily_limit_exceeded'), post.id, orderId, 'spending_limit', renderReply('spending_limit', { ...ctx, url: `${d.publicBaseUrl}/account` }));
      return;
    }
    if (outOfStock()) {
      queueOrSoldOut();
      return;
    }
    // Stock is per variant too: a variant with no units left is sold out (the waitlist is per product).
    if (!variantStock.has(variant, quantity)) {
      order('sold_out', { stockHeld: false, failureCode: 'sold_out', replied: true });
      reply(placed('sold_out', null), post.id, orderId, 'sold_out', renderReply('sold_out', ctx));
      return;
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
      return;
    }
    if (confirm) {
      // The unit is held while the buyer has CONFIRM_WINDOW_MINUTES to reply #confirm, counted from now (when they are asked).
      row.action_expires_at = new Date(now.getTime() + CONFIRM_WINDOW_MINUTES * 60_000).toISOString();
      spent.set(spendKey, (spent.get(spendKey) ?? 0) + amount);
      reply(placed('order_created', null), post.id, orderId, 'confirm_request', renderReply('confirm_request', ctx));
      return;
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

  return {
    decided,
    buy,
    /** The merchant's review holds the batch placed (written with its paused posts, batch-controls.ts). */
    reviews,
    /** Everything to write, with every claimed post's outcome; the units taken are summed per product. */
    writes(outcomes: batch.BatchWrites['outcomes']): batch.BatchWrites {
      w.stock = [...taken].map(([product_id, quantity]) => ({ product_id, quantity }));
      w.outcomes = outcomes;
      return w;
    },
  };
}
