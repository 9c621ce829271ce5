import type { Db } from '../db/pool';
import { withTransaction } from '../db/pool';
import { errors } from '../http/errors';
import type { Followup } from '../queue/followups';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import { sourcesOf } from './lifecycle';
import type { OrderRow } from './orders.repository';
import { findOrderById, lockOrder, transitionOrder } from './orders.store';
import { releaseUnits, type WaitlistDeps } from '../waitlist/promotion';

export interface CancelDeps {
  db: Db;
  enqueue?: (followups: Followup[]) => Promise<void>;
  /** Freed units go to the product's waitlist at once (without it, the maintenance sweep promotes). */
  waitlist?: WaitlistDeps;
}

/** What a merchant may cancel: orders no money was taken for and no charge is in flight for. */
const CANCELABLE = sourcesOf('canceled');

/** The merchant cancels an unpaid order: its units go back, the event is written, the buyer is told. */
export function createCancelService(d: CancelDeps) {
  return {
    async cancel(merchantId: string, orderId: string): Promise<OrderRow> {
      const { order, followups } = await withTransaction(d.db, async (tx) => {
        const current = await lockOrder(tx, orderId);
        if (!current || current.merchant_id !== merchantId) throw errors.notFound('order', orderId);
        if (!CANCELABLE.includes(current.status)) {
          throw errors.conflict('order_not_cancelable', `Order ${orderId} is ${current.status}; only an order not paid yet (${CANCELABLE.join(', ')}) can be canceled`);
        }
        const promoted = current.stock_held ? await releaseUnits(tx, current, d.waitlist) : [];
        const updated = await transitionOrder(tx, current, 'canceled', { stock_held: false, failure_code: 'canceled_by_merchant' }, { by: 'merchant' });
        const text = renderReply('canceled', { orderId, product: current.product_name, quantity: current.quantity });
        const reply = await insertReply(tx, { inReplyTo: current.tweet_id, orderId, kind: 'canceled', text });
        const work: Followup[] = [...(reply ? [{ kind: 'reply' as const, replyId: reply.id, replyKind: 'canceled' as const, subject: orderId }] : []), ...promoted];
        // The order as stored now: the reply touched it (reply_status, updated) after the transition.
        return { order: reply ? (await findOrderById(tx, orderId))! : updated, followups: work };
      });
      if (followups.length) await d.enqueue?.(followups);
      return order;
    },
  };
}
export type CancelService = ReturnType<typeof createCancelService>;
