import type { Db, Tx } from '../db/pool';
import { isUniqueViolation, withTransaction } from '../db/pool';
import { newId } from '../ids';
import type { InboundPost } from '../x/x.port';
import type { Followup } from '../queue/followups';
import type { ProductRow } from '../products/products.repository';
import { hashtagKey } from '../products/hashtag';
import { insertOrder, placeOrder as placeStockedOrder } from '../orders/orders.store';
import { insertReply } from '../replies/replies.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import { holdForAddress } from '../orders/address-hold';
import type { LinkSigner } from '../links/links';
import { maxChargeAmount } from '../payments/amount-limit';
import { parseQuantity } from './quantity';
import { decideCancel, isCancelRequest } from './cancel-request';
import { pendingRefundIdsForPost } from '../refunds/refunds.repository';
import * as posts from './posts.repository';

export interface MatchingDeps {
  db: Db;
  signer: LinkSigner;
  publicBaseUrl: string;
  shopUsername: string;
  shopUserId?: string | null;
  requireMention: boolean;
  signupTtlHours?: number;
}

export interface MatchResult {
  outcome: string;
  reason: string | null;
  orderIds: string[];
  followups: Followup[];
  /** The outcome is already written (by the statement that placed the order). */
  recorded?: boolean;
  /** Refunds a buyer's #cancel wrote: Stripe is asked for them after commit (refunds.service processPending). */
  refundIds?: string[];
}

type Decision = { outcome: string; reason: string | null };

/** Checks that need no database: who wrote it, what kind of post it is, whether it addresses us. */
function screen(post: InboundPost, d: MatchingDeps): Decision | null {
  const shop = d.shopUsername.toLowerCase();
  if ((d.shopUserId && post.authorId === d.shopUserId) || post.authorUsername?.toLowerCase() === shop) return { outcome: 'ignored', reason: 'own_post' };
  if (post.referenced.some((r) => r.type === 'retweeted')) return { outcome: 'ignored', reason: 'retweet' };
  if (post.referenced.some((r) => r.type === 'quoted')) return { outcome: 'ignored', reason: 'quote' };
  if (d.requireMention && !post.mentions.some((m) => m.username.toLowerCase() === shop || (d.shopUserId && m.id === d.shopUserId))) {
    return { outcome: 'ignored', reason: 'no_mention' };
  }
  if (post.hashtags.length === 0) return { outcome: 'ignored', reason: 'no_hashtag' };
  return null;
}

/**
 * Turns one post into exactly one recorded outcome and at most one order per product, in one
 * transaction. Re-running it for a post already recorded changes nothing and returns the work
 * that post still has pending, so a crash between commit and enqueue loses nothing.
 */
export function createMatchingService(d: MatchingDeps) {
  const ttlHours = d.signupTtlHours ?? 24;

  async function decide(tx: Tx, post: InboundPost, at: Date, found: { products: ProductRow[]; buyer: posts.BuyerRow | undefined; chainBought: boolean }): Promise<MatchResult> {
    const result: MatchResult = { outcome: 'ignored', reason: null, orderIds: [], followups: [] };
    const record = (dec: Decision) => {
      result.outcome = dec.outcome;
      result.reason = dec.reason;
    };
    const reply = async (kind: ReplyKind, orderId: string | null, text: string) => {
      const row = await insertReply(tx, { inReplyTo: post.id, orderId, kind, text });
      if (row) result.followups.push({ kind: 'reply', replyId: row.id, replyKind: kind, subject: orderId ?? post.id });
    };

    // An edit chain buys once: the first version that placed an order. Any other version (a later
    // edit, or an original arriving after its edit bought) is ignored; an edit of a post that did
    // not buy (no hashtag, an unreadable quantity ...) goes on like any post.
    if (found.chainBought) {
      record({ outcome: 'ignored', reason: 'edit_of_handled_post' });
      return result;
    }
    const screened = screen(post, d);
    if (screened) {
      record(screened);
      return result;
    }
    // #cancel is reserved (no product may use it): such a post is a buyer canceling an order.
    if (isCancelRequest(post)) return decideCancel(tx, post, at, { publicBaseUrl: d.publicBaseUrl, shopUsername: d.shopUsername });

    const { products: candidates, buyer } = found;
    if (candidates.length === 0) {
      record({ outcome: 'ignored', reason: 'no_product' });
      return result;
    }
    const open = candidates.filter((p) => (!p.starts_at || p.starts_at <= at) && (!p.ends_at || p.ends_at > at));
    if (open.length === 0) {
      const early = candidates.every((p) => p.starts_at && p.starts_at > at);
      record({ outcome: 'ignored', reason: early ? 'sale_not_started' : 'sale_ended' });
      return result;
    }
    if (open.length > 1) {
      record({ outcome: 'ambiguous', reason: 'several_products' });
      await reply('how_to_buy', null, renderReply('how_to_buy', { shop: d.shopUsername, hashtag: open[0]!.hashtag }));
      return result;
    }
    const product = open[0]!;
    const q = parseQuantity(post.text, product.hashtag);
    if (q.kind === 'ambiguous') {
      record({ outcome: 'ambiguous', reason: 'quantity_unreadable' });
      await reply('how_to_buy', null, renderReply('how_to_buy', { shop: d.shopUsername, hashtag: product.hashtag }));
      return result;
    }
    if (q.quantity > product.max_per_order) {
      record({ outcome: 'rejected', reason: 'quantity_over_max' });
      await reply('too_many', null, renderReply('too_many', { product: product.name, maxPerOrder: product.max_per_order }));
      return result;
    }
    // Refused before any order exists: Stripe could never charge it, so no price is promised.
    const maxAmount = maxChargeAmount(product.currency);
    if (product.unit_amount * q.quantity > maxAmount) {
      record({ outcome: 'rejected', reason: 'amount_too_large' });
      await reply('amount_too_large', null, renderReply('amount_too_large', {
        product: product.name, quantity: q.quantity, amount: product.unit_amount * q.quantity, currency: product.currency, maxAmount,
      }));
      return result;
    }
    record({ outcome: 'matched', reason: null });
    await placeOrder(tx, post, product, q.quantity, buyer, result, reply);
    return result;
  }

  async function placeOrder(
    tx: Tx,
    post: InboundPost,
    product: ProductRow,
    quantity: number,
    buyer: posts.BuyerRow | undefined,
    result: MatchResult,
    reply: (kind: ReplyKind, orderId: string | null, text: string) => Promise<void>,
  ): Promise<void> {
    const amount = product.unit_amount * quantity;
    const base = {
      id: newId('ord'), merchantId: product.merchant_id, productId: product.id, tweetId: post.id, chainId: posts.chainIdOf(post), buyerXUserId: post.authorId,
      buyerXUsername: post.authorUsername, buyerId: buyer?.id ?? null, quantity, amount, currency: product.currency,
    };
    const ctx = { product: product.name, quantity, amount, currency: product.currency, orderId: base.id };
    const setStatus = (outcome: string, reason: string | null) => {
      result.outcome = outcome;
      result.reason = reason;
    };

    if (!buyer) {
      const order = await insertOrder(tx, { ...base, status: 'awaiting_signup', stockHeld: false });
      if (!order) return;
      result.orderIds.push(order.id);
      const tokenId = d.signer.newTokenId();
      await posts.insertSignupToken(tx, tokenId, post.authorId, order.id, ttlHours);
      setStatus('awaiting_signup', null);
      await reply('signup', order.id, renderReply('signup', { ...ctx, url: `${d.publicBaseUrl}/link/${d.signer.sign('signup', tokenId)}` }));
      return;
    }
    const limit = buyer.daily_limit_amount === null ? null : await posts.lockBuyerLimit(tx, buyer.id);
    if (limit !== null) {
      const spent = await posts.spentToday(tx, post.authorId, product.currency);
      if (spent + amount > limit) {
        const order = await insertOrder(tx, { ...base, status: 'failed', stockHeld: false, failureCode: 'daily_limit_exceeded', failureMessage: 'would exceed the buyer\'s daily spending limit' });
        if (!order) return;
        result.orderIds.push(order.id);
        setStatus('rejected', 'daily_limit_exceeded');
        await reply('spending_limit', order.id, renderReply('spending_limit', { ...ctx, url: `${d.publicBaseUrl}/account` }));
        return;
      }
    }
    const replyId = newId('rep');
    const order = await placeStockedOrder(tx, base, { id: replyId, text: renderReply('sold_out', ctx) });
    if (!order) return;
    result.orderIds.push(order.id);
    result.recorded = true;
    if (order.status === 'sold_out') {
      setStatus('sold_out', null);
      if (order.sold_out_reply_id) result.followups.push({ kind: 'reply', replyId: order.sold_out_reply_id, replyKind: 'sold_out', subject: order.id });
      return;
    }
    setStatus('order_created', null);
    // Digital goods skip the address look-up: a flash sale of them pays no extra round trip.
    const held = product.shipping === 'required' ? await holdForAddress(tx, order, product.name, d.publicBaseUrl) : null;
    result.followups.push(...(held ?? [{ kind: 'charge' as const, orderId: order.id }]));
  }

  return {
    async handlePost(post: InboundPost, now = new Date()): Promise<MatchResult> {
      const at = post.createdAt ? new Date(post.createdAt) : now;
      // Most posts that are not purchases (retweets, no mention ...) are one statement, edits
      // included: a version that cannot buy never decides its chain.
      const screened = screen(post, d);
      if (screened) {
        if (await posts.insertDecidedPost(d.db, post, screened.outcome, screened.reason)) return { ...screened, orderIds: [], followups: [] };
      }
      const match = () => withTransaction(d.db, async (tx) => {
        const claim = await posts.claimPostAndLookup(tx, post, [...new Set(post.hashtags.map(hashtagKey))]);
        if (!claim.claimed) return null;
        const result = await decide(tx, post, at, claim);
        // One write of the outcome, in the same transaction as everything it led to (placing an
        // order writes it in the same statement).
        if (!result.recorded) await posts.setOutcome(tx, post.id, result.outcome, result.reason);
        return result;
      });
      let fresh: MatchResult | null = null;
      for (let attempt = 1; !screened; attempt++) {
        try {
          fresh = await match();
          break;
        } catch (err) {
          // Another version of this post bought while this one was being decided: everything
          // rolled back (the claim too), and deciding again finds that version's order.
          if (attempt >= 3 || !isUniqueViolation(err, 'orders_one_per_edit_chain')) throw err;
        }
      }
      if (fresh) return fresh;
      const existing = await posts.findPost(d.db, post.id);
      return {
        outcome: existing?.outcome ?? 'unknown',
        reason: existing?.reason ?? null,
        orderIds: [],
        followups: await posts.pendingWorkForPost(d.db, post.id),
        refundIds: await pendingRefundIdsForPost(d.db, post.id),
      };
    },
  };
}
export type MatchingService = ReturnType<typeof createMatchingService>;
