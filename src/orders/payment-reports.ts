import { withTransaction } from '../db/pool';
import type { Followup } from '../queue/followups';
import type { OrderRow } from './orders.repository';
import { findOrderWithProduct, transitionOrder } from './orders.store';
import { markOrderPaid } from './charges.store';
import { canTransition } from './lifecycle';
import { newId } from '../ids';
import { pendingRefundTotal } from '../refunds/refunds.repository';
import { receiptText, type ChargingContext } from './charging-context';

/** What Stripe reports about an order's money outside our own charge call (webhooks): paid, refunded. */
export function createPaymentReports(ctx: ChargingContext) {
  const { deps, pendingWork } = ctx;

  return {
    /** Stripe says the order's money arrived (webhook). Idempotent. */
    async markPaid(orderId: string, paymentIntentId: string): Promise<{ followups: Followup[]; late: boolean }> {
      // Needs the order's product name and amounts for the receipt text.
      const order = await findOrderWithProduct(deps.db, orderId);
      if (!order) return { followups: [], late: false };
      const r = await markOrderPaid(deps.db, orderId, paymentIntentId, { id: newId('rep'), text: receiptText(order) });
      // Paid already (a retry): the receipt was written then, and may never have been enqueued.
      const followups: Followup[] = r.receipt_reply_id ? [{ kind: 'reply', replyId: r.receipt_reply_id, replyKind: 'receipt', subject: orderId }] : await pendingWork(orderId);
      return { followups, late: r.late };
    },

    /** Refund totals as Stripe reports them on charge.refunded. */
    async applyRefund(paymentIntentId: string, amountRefunded: number): Promise<void> {
      await withTransaction(deps.db, async (tx) => {
        const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE payment_intent_id = $1 FOR UPDATE', [paymentIntentId]);
        const order = rows[0];
        if (!order) return;
        // Stripe's total counts refunds still pending; ours are counted when they settle (refund.updated).
        amountRefunded -= await pendingRefundTotal(tx, order.id);
        // Totals only grow: an event about an earlier refund, arriving late, changes nothing.
        if (amountRefunded <= order.amount_refunded) return;
        const status = amountRefunded >= order.amount ? 'refunded' : 'partially_refunded';
        if (!canTransition(order.status, status)) return;
        await transitionOrder(tx, order, status, { amount_refunded: amountRefunded }, { amount_refunded: amountRefunded });
      });
    },
  };
}
