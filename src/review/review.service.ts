import type { Db, Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import { AppError, errors } from '../http/errors';
import type { Followup } from '../queue/followups';
import { holdForAddress } from '../orders/address-hold';
import { findOrderById, lockOrder, releaseStock } from '../orders/orders.store';
import type { OrderRow } from '../orders/orders.repository';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import * as repo from './review.repository';

export interface ReviewDeps {
  db: Db;
  publicBaseUrl: string;
  /** Enqueues the charge or reply a decision leaves; without it the maintenance sweep does. */
  enqueue?: (followups: Followup[]) => Promise<void>;
}

export type ReviewDecision = { action: 'approve' } | { action: 'reject'; reason: string | null };
export type BulkResult = { id: string; ok: true; order: OrderRow } | { id: string; ok: false; error: AppError };

/** The review queue's decisions (issue 15): the merchant's, one or many, and the window's. */
export function createReviewService(d: ReviewDeps) {
  /** One order, locked: approved goes on to the charge (or the address it still needs); rejected frees its units and tells the buyer. */
  async function decideLocked(tx: Tx, order: OrderRow & { product_name: string }, decision: ReviewDecision, by: string): Promise<Followup[]> {
    if (decision.action === 'approve') {
      const reserved = await repo.approveInReview(tx, order, by);
      return (await holdForAddress(tx, reserved, order.product_name, d.publicBaseUrl)) ?? [{ kind: 'charge', orderId: order.id }];
    }
    if (order.stock_held) await releaseStock(tx, order.product_id, order.quantity);
    await repo.rejectInReview(tx, order, by, decision.reason);
    const text = renderReply('order_rejected', { orderId: order.id, product: order.product_name, quantity: order.quantity, reason: decision.reason ?? undefined });
    const reply = await insertReply(tx, { inReplyTo: order.tweet_id, orderId: order.id, kind: 'order_rejected', text });
    return reply ? [{ kind: 'reply', replyId: reply.id, replyKind: 'order_rejected', subject: order.id }] : [];
  }

  async function decideOne(merchantId: string, orderId: string, decision: ReviewDecision): Promise<{ order: OrderRow; followups: Followup[] }> {
    return withTransaction(d.db, async (tx) => {
      const current = await lockOrder(tx, orderId);
      if (!current || current.merchant_id !== merchantId) throw errors.notFound('order', orderId);
      if (current.status !== 'in_review') {
        throw errors.conflict('order_not_in_review', `Order ${orderId} is ${current.status}; only an order in_review can be approved or rejected`);
      }
      const followups = await decideLocked(tx, current, decision, 'merchant');
      return { order: (await findOrderById(tx, orderId))!, followups };
    });
  }

  return {
    async decide(merchantId: string, orderId: string, decision: ReviewDecision): Promise<OrderRow> {
      const { order, followups } = await decideOne(merchantId, orderId, decision);
      if (followups.length) await d.enqueue?.(followups);
      return order;
    },

    /** Many orders, each in its own transaction (one refused does not undo the others); a result per id, in the order given. */
    async decideMany(merchantId: string, orderIds: string[], decision: ReviewDecision): Promise<BulkResult[]> {
      const results: BulkResult[] = [];
      const followups: Followup[] = [];
      for (const id of orderIds) {
        try {
          const r = await decideOne(merchantId, id, decision);
          followups.push(...r.followups);
          results.push({ id, ok: true, order: r.order });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          results.push({ id, ok: false, error: err });
        }
      }
      if (followups.length) await d.enqueue?.(followups);
      return results;
    },

    /** The maintenance sweep: orders nobody decided on within their window are approved or rejected, as their rules say. */
    async expireWindows(now = new Date(), limit = 500): Promise<Array<{ id: string; action: 'approve' | 'reject' }>> {
      const done: Array<{ id: string; action: 'approve' | 'reject' }> = [];
      const followups: Followup[] = [];
      for (const due of await repo.expiredReviews(d.db, now, limit)) {
        const decision: ReviewDecision = due.review_on_expiry === 'approve' ? { action: 'approve' } : { action: 'reject', reason: null };
        const work = await withTransaction(d.db, async (tx) => {
          const order = await lockOrder(tx, due.id);
          // Decided meanwhile by the merchant: nothing to do.
          if (!order || order.status !== 'in_review') return null;
          return decideLocked(tx, order, decision, 'review_window');
        });
        if (work) {
          followups.push(...work);
          done.push({ id: due.id, action: decision.action });
        }
      }
      if (followups.length) await d.enqueue?.(followups);
      return done;
    },
  };
}
export type ReviewService = ReturnType<typeof createReviewService>;
