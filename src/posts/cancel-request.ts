import type { Db, Queryable, Tx } from '../db/pool';
import { newId } from '../ids';
import type { InboundPost } from '../x/x.port';
import type { Followup } from '../queue/followups';
import { CANCEL_HASHTAG } from '../ingest/rules';
import { hashtagKey } from '../products/hashtag';
import { FULFILLABLE, isFinal, sourcesOf } from '../orders/lifecycle';
import { lockOrder, transitionOrder } from '../orders/orders.store';
import { releaseUnits, type WaitlistDeps } from '../waitlist/promotion';
import { insertReply } from '../replies/replies.repository';
import { renderReply, type ReplyContext, type ReplyKind } from '../replies/templates';
import * as refunds from '../refunds/refunds.repository';
import type { ScreenRules } from './decide';
import { createSeparatePath } from './separate-path';
import type { SeparatePath } from './matching.service';

/** An order id as we print it in receipts (`ord_` + 20 base62 characters). */
const ORDER_ID = /\bord_[0-9A-Za-z]{20}\b/;

/** What an unpaid order may become on a buyer's cancel: the same as a merchant's cancel. */
const CANCELABLE = sourcesOf('canceled');

export interface CancelOutcome {
  outcome: string;
  reason: string | null;
  orderIds: string[];
  followups: Followup[];
  /** Refunds written in this transaction: Stripe is asked once it has committed. */
  refundIds: string[];
}

export interface CancelDeps {
  publicBaseUrl: string;
  shopUsername: string;
  /** Freed units go to the product's waitlist at once (without it, the maintenance sweep promotes). */
  waitlist?: WaitlistDeps;
}

export function isCancelRequest(post: InboundPost): boolean {
  return post.hashtags.some((h) => hashtagKey(h) === CANCEL_HASHTAG);
}

/**
 * The order a #cancel post is about: the one whose reply (receipt, signup link ...) or purchase
 * post it answers, else an order id written in it. Who may cancel it is checked afterwards.
 */
export async function findOrderId(db: Queryable, post: InboundPost): Promise<string | null> {
  const repliedTo = post.referenced.find((r) => r.type === 'replied_to')?.id;
  if (repliedTo) {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM (
         SELECT order_id AS id, 1 AS n FROM replies WHERE x_reply_id = $1 AND order_id IS NOT NULL
         UNION ALL SELECT id, 2 FROM orders WHERE tweet_id = $1) AS found
       ORDER BY n LIMIT 1`,
      [repliedTo],
    );
    if (rows[0]) return rows[0].id;
  }
  return post.text.match(ORDER_ID)?.[0] ?? null;
}

async function cancelWindowOf(db: Queryable, productId: string): Promise<number> {
  const { rows } = await db.query<{ cancel_window_minutes: number }>('SELECT cancel_window_minutes FROM products WHERE id = $1', [productId]);
  return rows[0]?.cancel_window_minutes ?? 0;
}

async function hasOrdered(db: Queryable, xUserId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM orders WHERE buyer_x_user_id = $1 LIMIT 1', [xUserId]);
  return rowCount === 1;
}

/**
 * A buyer's `#cancel` post, decided inside the matching transaction that claimed it (so its one
 * outcome is written with everything it does). Within the product's cancel window and before
 * fulfilment, an unpaid order is canceled like a merchant's cancel and a paid one gets a full
 * refund with restock: the refund row is written here under the order's lock and Stripe is asked
 * after commit (the row's id keys that call). Only the X user id that placed the order may cancel.
 */
export async function decideCancel(tx: Tx, post: InboundPost, at: Date, d: CancelDeps): Promise<CancelOutcome> {
  const result: CancelOutcome = { outcome: 'ignored', reason: null, orderIds: [], followups: [], refundIds: [] };
  const decide = (outcome: string, reason: string | null) => {
    result.outcome = outcome;
    result.reason = reason;
  };
  const reply = async (kind: ReplyKind, orderId: string | null, context: ReplyContext) => {
    const row = await insertReply(tx, { inReplyTo: post.id, orderId, kind, text: renderReply(kind, context) });
    if (row) result.followups.push({ kind: 'reply', replyId: row.id, replyKind: kind, subject: orderId ?? post.id });
  };

  const orderId = await findOrderId(tx, post);
  const order = orderId ? await lockOrder(tx, orderId) : undefined;
  if (!order) {
    decide('ignored', 'cancel_order_not_found');
    // Someone who bought from us gets the how-to; a stranger's #cancel chatter gets no reply.
    if (await hasOrdered(tx, post.authorId)) await reply('how_to_cancel', null, { shop: d.shopUsername });
    return result;
  }
  if (order.buyer_x_user_id !== post.authorId) {
    decide('rejected', 'cancel_not_owner');
    // Says nothing of the order: not its number, product, status or buyer.
    await reply('cancel_refused', null, {});
    return result;
  }
  result.orderIds.push(order.id);
  if (isFinal(order.status)) {
    decide('ignored', 'order_already_closed');
    return result;
  }
  const ctx = { orderId: order.id, product: order.product_name, quantity: order.quantity };
  const window = await cancelWindowOf(tx, order.product_id);
  const inWindow = window > 0 && at.getTime() < order.created_at.getTime() + window * 60_000;
  if (!inWindow || order.fulfillment_status === 'fulfilled') {
    decide('rejected', order.fulfillment_status === 'fulfilled' ? 'order_fulfilled' : 'cancel_window_closed');
    await reply('cancel_window_closed', order.id, { ...ctx, url: `${d.publicBaseUrl}/account` });
    return result;
  }
  if (CANCELABLE.includes(order.status)) {
    if (order.stock_held) result.followups.push(...(await releaseUnits(tx, order, d.waitlist)));
    await transitionOrder(tx, order, 'canceled', { stock_held: false, failure_code: 'canceled_by_buyer' }, { by: 'buyer', post: post.id });
    decide('canceled', null);
    await reply('cancel_confirmed', order.id, ctx);
    return result;
  }
  if (FULFILLABLE.includes(order.status) && order.payment_intent_id) {
    const remaining = order.amount - order.amount_refunded - (await refunds.pendingRefundTotal(tx, order.id));
    if (remaining <= 0) {
      decide('ignored', 'cancel_already_requested');
      return result;
    }
    const refund = await refunds.insertRefund(tx, {
      id: newId('re'), order_id: order.id, merchant_id: order.merchant_id, amount: remaining, currency: order.currency,
      reason: 'requested_by_customer', restock: true, requested_by: 'buyer', reply_to_tweet_id: post.id,
    });
    result.refundIds.push(refund.id);
    // The reply goes out when Stripe confirms the refund (refunds.service settles it).
    decide('canceled', 'refund_requested');
    return result;
  }
  // A charge is in flight: neither cancelable nor refundable until Stripe answers.
  decide('rejected', 'order_being_charged');
  await reply('cancel_retry', order.id, ctx);
  return result;
}

/**
 * The matcher's separate path for #cancel posts: a retweet of a #cancel is not one (screened like
 * any post). A post recorded before (a redelivery) also returns the refunds still to ask for.
 */
export function createCancelPath(d: CancelDeps & ScreenRules & { db: Db }): SeparatePath {
  return createSeparatePath<CancelOutcome>(d, {
    takes: isCancelRequest,
    decide: (tx, post, at) => decideCancel(tx, post, at, d),
    // A screened post asked for nothing; a redelivered one may still have refunds to ask Stripe for.
    asResult: async (base, post, recorded) => ({ ...base, refundIds: recorded ? await refunds.pendingRefundIdsForPost(d.db, post.id) : [] }),
  });
}
