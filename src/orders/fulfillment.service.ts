import type { Db } from '../db/pool';
import { withTransaction } from '../db/pool';
import { errors } from '../http/errors';
import type { Followup } from '../queue/followups';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import { FULFILLABLE } from './lifecycle';
import type { OrderRow } from './orders.repository';
import type { CreateFulfillment } from './orders.schema';
import { findOrderById, lockOrder, recordFulfillment } from './orders.store';
import { buyerRefundPending } from '../refunds/refunds.repository';

export interface FulfillmentDeps {
  db: Db;
  /** Hands the reply job to the queue after commit; without it the maintenance sweep sends the reply. */
  enqueue?: (followups: Followup[]) => Promise<void>;
}

/** The merchant ships an order: fulfilment recorded, event written, buyer told, all or nothing. */
export function createFulfillmentService(d: FulfillmentDeps) {
  return {
    async fulfill(merchantId: string, orderId: string, body: CreateFulfillment): Promise<OrderRow> {
      const { order, followups } = await withTransaction(d.db, async (tx) => {
        const current = await lockOrder(tx, orderId);
        if (!current || current.merchant_id !== merchantId) throw errors.notFound('order', orderId);
        if (current.fulfillment_status === 'fulfilled') {
          throw errors.conflict('order_already_fulfilled', `Order ${orderId} is fulfilled already`);
        }
        if (!FULFILLABLE.includes(current.status)) {
          throw errors.conflict('order_not_fulfillable', `Order ${orderId} is ${current.status}; only a paid order that is not wholly refunded can be fulfilled`);
        }
        // A buyer's #cancel is being refunded: shipping it now would send goods the buyer is paid back for.
        if (await buyerRefundPending(tx, orderId)) {
          throw errors.conflict('order_cancel_requested', `The buyer canceled order ${orderId}; its refund is under way, so it cannot be fulfilled`);
        }
        const details = { carrier: body.carrier ?? null, trackingNumber: body.tracking_number ?? null, trackingUrl: body.tracking_url ?? null };
        const updated = (await recordFulfillment(tx, orderId, details))!;
        const text = renderReply('fulfilled', {
          orderId, product: current.product_name, quantity: current.quantity,
          carrier: body.carrier, trackingNumber: body.tracking_number, trackingUrl: body.tracking_url,
        });
        const reply = await insertReply(tx, { inReplyTo: current.tweet_id, orderId, kind: 'fulfilled', text });
        const work: Followup[] = reply ? [{ kind: 'reply', replyId: reply.id, replyKind: 'fulfilled', subject: orderId }] : [];
        // The order as stored now: the reply touched it (reply_status, updated) after the transition.
        return { order: reply ? (await findOrderById(tx, orderId))! : updated, followups: work };
      });
      if (followups.length) await d.enqueue?.(followups);
      return order;
    },
  };
}
export type FulfillmentService = ReturnType<typeof createFulfillmentService>;
