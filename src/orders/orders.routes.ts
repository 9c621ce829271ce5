import { Router } from 'express';
import type { Db } from '../db/pool';
import { merchantId } from '../http/auth';
import { errors } from '../http/errors';
import { parseBody, parseQuery, pathId } from '../http/validate';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { findOrder, listOrders, type OrderRow } from './orders.repository';
import { cancelOrderBody, createFulfillmentBody, listOrdersQuery } from './orders.schema';
import type { CancelService } from './cancel.service';
import type { FulfillmentService } from './fulfillment.service';

export function presentOrder(o: OrderRow) {
  return {
    id: o.id,
    object: 'order' as const,
    status: o.status,
    product: o.product_id,
    variant: o.variant,
    quantity: o.quantity,
    amount: o.amount,
    currency: o.currency,
    tweet_id: o.tweet_id,
    buyer_x_user_id: o.buyer_x_user_id,
    buyer_x_username: o.buyer_x_username,
    reply_status: o.reply_status,
    failure_code: o.failure_code,
    failure_message: o.failure_message,
    payment_intent: o.payment_intent_id,
    amount_refunded: o.amount_refunded,
    transfer_destination: o.transfer_destination ?? null,
    application_fee_amount: o.application_fee_amount ?? null,
    transfer: o.transfer_id ?? null,
    fulfillment_status: o.fulfillment_status,
    fulfillment: o.fulfilled_at
      ? { carrier: o.fulfillment_carrier, tracking_number: o.fulfillment_tracking_number, tracking_url: o.fulfillment_tracking_url, fulfilled: unix(o.fulfilled_at)! }
      : null,
    shipping: o.shipping,
    review: o.review_reasons ? { reasons: o.review_reasons, expires: unix(o.review_expires_at) } : null,
    created: unix(o.created_at)!,
    updated: unix(o.updated_at)!,
  };
}

const fromUnix = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));

/** Orders are made by the purchase pipeline; merchants read them and act on them (fulfil, cancel; refunds: refunds.routes). */
export function ordersRouter(db: Db, fulfillment: FulfillmentService, cancellation: CancelService): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const q = parseQuery(listOrdersQuery, req.query);
    const gte = q['created[gte]'] ?? (q['created[gt]'] !== undefined ? q['created[gt]'] + 1 : undefined);
    const lt = q['created[lt]'] ?? (q['created[lte]'] !== undefined ? q['created[lte]'] + 1 : undefined);
    const rows = await listOrders(db, merchantId(req), {
      limit: q.limit,
      startingAfter: q.starting_after,
      status: q.status,
      productId: q.product,
      variantId: q.variant,
      createdGte: fromUnix(gte),
      createdLt: fromUnix(lt),
    });
    res.json(toPage(rows, q.limit, '/v1/orders', presentOrder));
  });
  r.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    const o = await findOrder(db, merchantId(req), id);
    if (!o) throw errors.notFound('order', id);
    res.json(presentOrder(o));
  });
  r.post('/:id/fulfillments', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    const body = parseBody(createFulfillmentBody, req.body);
    res.json(presentOrder(await fulfillment.fulfill(merchantId(req), id, body)));
  });
  r.post('/:id/cancel', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    parseBody(cancelOrderBody, req.body);
    res.json(presentOrder(await cancellation.cancel(merchantId(req), id)));
  });
  return r;
}
