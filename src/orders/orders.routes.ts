import { Router } from 'express';
import type { Db } from '../db/pool';
import { merchantId } from '../http/auth';
import { errors } from '../http/errors';
import { parseQuery, pathId } from '../http/validate';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { findOrder, listOrders, type OrderRow } from './orders.repository';
import { listOrdersQuery } from './orders.schema';

export function presentOrder(o: OrderRow) {
  return {
    id: o.id,
    object: 'order' as const,
    status: o.status,
    product: o.product_id,
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
    created: unix(o.created_at)!,
    updated: unix(o.updated_at)!,
  };
}

const fromUnix = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));

/** Read side only: orders are written by the purchase pipeline. */
export function ordersRouter(db: Db): Router {
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
  return r;
}
