import type { Db, Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import { AppError, errors } from '../http/errors';
import { newId } from '../ids';
import type { Logger } from '../logger';
import { canTransition, sourcesOf } from '../orders/lifecycle';
import { addOrderEvent, lockOrder, transitionOrder } from '../orders/orders.store';
import { PaymentsRejectedError, PaymentsUnavailableError, type PaymentsPort, type RefundResult } from '../payments/payments.port';
import type { Followup } from '../queue/followups';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import * as repo from './refunds.repository';
import type { CreateRefund } from './refunds.schema';
import { promoteWaitlist, type WaitlistDeps } from '../waitlist/promotion';

export interface RefundsDeps {
  db: Db;
  payments?: PaymentsPort;
  log: Logger;
  /** Hands the buyer's reply to the queue after commit; without it the maintenance sweep sends it. */
  enqueue?: (followups: Followup[]) => Promise<void>;
  /** Restocked units go to the product's waitlist at once (without it, the maintenance sweep promotes). */
  waitlist?: WaitlistDeps;
}

/** Paid orders a refund may still touch: what the lifecycle lets become `refunded`. */
const REFUNDABLE = sourcesOf('refunded');

const refundTooLarge = (amount: number, remaining: number) =>
  new AppError(400, 'refund_amount_too_large', 'Refund larger than what remains', `Refund amount ${amount} is more than the ${remaining} that remains refundable on this order`, {
    errors: [{ field: 'amount', message: `must be at most ${remaining}` }],
  });

/**
 * Merchant refunds. Our refund row is written first (under the order's row lock, counting refunds
 * still pending, so two refunds racing cannot promise back more than was paid); its id keys the
 * Stripe call, so a retry reaches the same Stripe refund; what Stripe answers then settles the row,
 * the order's status, stock and the buyer's reply in one transaction.
 */
export function createRefundsService(d: RefundsDeps) {
  async function settle(refundId: string, result: RefundResult): Promise<{ refund: repo.RefundRow; followups: Followup[] }> {
    return withTransaction(d.db, async (tx) => {
      const current = (await repo.findRefund(tx, refundId))!;
      const order = (await lockOrder(tx, current.order_id))!;
      const settled = await repo.settleRefund(tx, refundId, { status: result.status, stripeRefundId: result.id || null, failureReason: result.failureReason });
      if (!settled) return { refund: (await repo.findRefund(tx, refundId))!, followups: [] };
      if (settled.status === 'failed') return { refund: settled, followups: await applyFailed(tx, order, settled) };
      if (settled.status !== 'succeeded') return { refund: settled, followups: [] };
      return { refund: settled, followups: await applySucceeded(tx, order, settled) };
    });
  }

  /**
   * Stripe refused or failed a refund: the merchant learns it from `order.refund_failed` (the refund
   * stays listed with its reason), and a buyer whose #cancel asked for it is told, once.
   */
  async function applyFailed(tx: Tx, order: NonNullable<Awaited<ReturnType<typeof lockOrder>>>, refund: repo.RefundRow): Promise<Followup[]> {
    await addOrderEvent(tx, order.id, 'order.refund_failed', { refund: refund.id, amount: refund.amount, reason: refund.failure_reason, by: refund.requested_by });
    if (refund.requested_by !== 'buyer') return [];
    const text = renderReply('cancel_failed', { orderId: order.id, product: order.product_name, quantity: order.quantity });
    const reply = await insertReply(tx, { inReplyTo: refund.reply_to_tweet_id ?? order.tweet_id, orderId: order.id, kind: 'cancel_failed', text, subjectKey: refund.id });
    return reply ? [{ kind: 'reply', replyId: reply.id, replyKind: 'cancel_failed', subject: refund.id }] : [];
  }

  async function applySucceeded(tx: Tx, order: NonNullable<Awaited<ReturnType<typeof lockOrder>>>, refund: repo.RefundRow): Promise<Followup[]> {
    // Stripe's own total (charge.refunded) may have arrived first: never count a refund twice.
    const total = Math.max(order.amount_refunded, await repo.succeededRefundTotal(tx, order.id));
    const to = total >= order.amount ? 'refunded' : 'partially_refunded';
    if (canTransition(order.status, to)) {
      await transitionOrder(tx, order, to, { amount_refunded: total }, { refund: refund.id, amount: refund.amount, amount_refunded: total, by: refund.requested_by });
    }
    const restocked = refund.restock && (await repo.restockOrder(tx, order.id, order.product_id));
    const promoted = restocked && d.waitlist ? await promoteWaitlist(tx, order.product_id, d.waitlist) : [];
    // A buyer's #cancel is answered under their #cancel post, as a cancel; a merchant's refund under the purchase.
    // Keyed by the refund: a second partial refund is told too, each one once.
    const kind = refund.requested_by === 'buyer' ? 'cancel_confirmed' : 'refunded';
    const text = renderReply(kind, { orderId: order.id, product: order.product_name, quantity: order.quantity, amount: refund.amount, currency: order.currency });
    const reply = await insertReply(tx, { inReplyTo: refund.reply_to_tweet_id ?? order.tweet_id, orderId: order.id, kind, text, subjectKey: refund.id });
    const told: Followup[] = reply ? [{ kind: 'reply', replyId: reply.id, replyKind: kind, subject: refund.id }] : [];
    return [...told, ...promoted];
  }

  /** Asks Stripe; a refusal is a failed refund with Stripe's reason, an outage leaves it pending for the sweep. */
  async function callStripe(refund: repo.RefundRow, paymentIntentId: string, reverseTransfer: boolean): Promise<repo.RefundRow> {
    let result: RefundResult;
    try {
      result = await d.payments!.refundPayment({
        paymentIntentId, amount: refund.amount, ...(refund.reason ? { reason: refund.reason } : {}),
        metadata: { order_id: refund.order_id, refund_id: refund.id }, idempotencyKey: `${refund.id}-stripe`, reverseTransfer,
      });
    } catch (err) {
      if (err instanceof PaymentsRejectedError) {
        d.log.warn({ refund_id: refund.id, order_id: refund.order_id, code: err.code }, 'refund refused by Stripe');
        result = { id: '', amount: refund.amount, status: 'failed', failureReason: `${err.code}: ${err.message}`.slice(0, 500) };
      } else if (err instanceof PaymentsUnavailableError) {
        d.log.warn({ refund_id: refund.id, order_id: refund.order_id }, 'Stripe unavailable for a refund; it stays pending and is retried');
        return refund;
      } else {
        throw err;
      }
    }
    const { refund: settled, followups } = await settle(refund.id, result);
    if (followups.length) await d.enqueue?.(followups);
    return settled;
  }

  return {
    async refund(merchantId: string, orderId: string, body: CreateRefund): Promise<repo.RefundRow> {
      const { refund, paymentIntentId, reverseTransfer } = await withTransaction(d.db, async (tx) => {
        const order = await lockOrder(tx, orderId);
        if (!order || order.merchant_id !== merchantId) throw errors.notFound('order', orderId);
        if (!REFUNDABLE.includes(order.status) || !order.payment_intent_id) {
          throw errors.conflict('order_not_refundable', `Order ${orderId} is ${order.status}; only a paid order can be refunded`);
        }
        const remaining = order.amount - order.amount_refunded - (await repo.pendingRefundTotal(tx, orderId));
        if (remaining <= 0) throw errors.conflict('order_not_refundable', `Order ${orderId} has nothing left to refund`);
        const amount = body.amount ?? remaining;
        if (amount > remaining) throw refundTooLarge(amount, remaining);
        if (!d.payments) throw errors.unavailable('Refunds need the payment provider, which this process is not connected to');
        const row = await repo.insertRefund(tx, {
          id: newId('re'), order_id: orderId, merchant_id: merchantId, amount, currency: order.currency, reason: body.reason ?? null, restock: body.restock ?? false,
        });
        return { refund: row, paymentIntentId: order.payment_intent_id, reverseTransfer: order.transfer_destination !== null };
      });
      return callStripe(refund, paymentIntentId, reverseTransfer);
    },

    async list(merchantId: string, orderId: string): Promise<repo.RefundRow[]> {
      const { rows } = await d.db.query('SELECT 1 FROM orders WHERE id = $1 AND merchant_id = $2', [orderId, merchantId]);
      if (rows.length === 0) throw errors.notFound('order', orderId);
      return repo.listOrderRefunds(d.db, merchantId, orderId);
    },

    /**
     * Asks Stripe for a refund written elsewhere (a buyer's #cancel, inside the matching
     * transaction); the refund's id keys the call, so asking twice refunds once.
     */
    async processPending(refundId: string): Promise<repo.RefundRow | undefined> {
      const refund = await repo.findRefund(d.db, refundId);
      if (!refund || refund.status !== 'pending' || !d.payments) return refund;
      const order = await d.db.query<{ payment_intent_id: string; transfer_destination: string | null }>('SELECT payment_intent_id, transfer_destination FROM orders WHERE id = $1', [refund.order_id]);
      return callStripe(refund, order.rows[0]!.payment_intent_id, order.rows[0]!.transfer_destination !== null);
    },

    /**
     * Stripe settled a refund it first answered `pending` (refund.updated): ours follows, once.
     * Refunds that are not ours (made in Stripe's dashboard) are left to charge.refunded.
     */
    async applyStripeRefund(update: RefundResult & { refundId: string | null }): Promise<Followup[]> {
      if (update.status === 'pending') return [];
      const ours = (update.refundId ? await repo.findRefund(d.db, update.refundId) : undefined) ?? (await repo.findRefundByStripeId(d.db, update.id));
      if (!ours || ours.status !== 'pending') return [];
      return (await settle(ours.id, update)).followups;
    },

    /** The sweep: refunds whose Stripe call never answered are asked again with the same key. */
    async retryStale(olderThanS = 60): Promise<number> {
      if (!d.payments) return 0;
      const stale = await repo.staleOpenRefunds(d.db, olderThanS, 100);
      for (const r of stale) {
        const order = await d.db.query<{ payment_intent_id: string; transfer_destination: string | null }>('SELECT payment_intent_id, transfer_destination FROM orders WHERE id = $1', [r.order_id]);
        await callStripe(r, order.rows[0]!.payment_intent_id, order.rows[0]!.transfer_destination !== null);
      }
      return stale.length;
    },
  };
}
export type RefundsService = ReturnType<typeof createRefundsService>;
