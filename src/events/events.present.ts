import type { Queryable } from '../db/pool';
import { unix } from '../http/time';
import { presentOrder } from '../orders/orders.routes';
import { presentProduct } from '../products/products.routes';
import { EVENT_CATALOGUE, eventId, publicType, type EventType } from './catalogue';
import { ordersByIds, productsByIds, type EventRow } from './events.repository';

export interface EventEnvelope {
  id: string;
  object: 'event';
  type: EventType;
  created: number;
  /** `variant`: which variant a `product.variant_sold_out` is about. */
  data: { object: ReturnType<typeof presentOrder> | ReturnType<typeof presentProduct>; variant?: unknown };
}

/**
 * Stripe-style envelopes. An event that has been dispatched carries the snapshot taken then
 * (what its webhooks carried); one not dispatched yet shows its object as it is now.
 * Rows must be public types (see the catalogue).
 */
export async function presentEvents(db: Queryable, rows: EventRow[]): Promise<EventEnvelope[]> {
  const pending = rows.filter((r) => !r.payload);
  const productId = (r: EventRow) => String(r.data.product ?? '');
  const isProduct = (r: EventRow) => EVENT_CATALOGUE[publicType(r.type)!].object === 'product';
  const [orders, products] = await Promise.all([
    ordersByIds(db, [...new Set(pending.filter((r) => !isProduct(r)).map((r) => r.order_id))]),
    productsByIds(db, [...new Set(pending.filter(isProduct).map(productId))]),
  ]);
  const orderById = new Map(orders.map((o) => [o.id, presentOrder(o)]));
  const productById = new Map(products.map((p) => [p.id, presentProduct(p)]));
  return rows.map((r) => {
    if (r.payload) return r.payload as unknown as EventEnvelope;
    const object = isProduct(r) ? productById.get(productId(r)) : orderById.get(r.order_id);
    const data = r.data.variant ? { object: object!, variant: r.data.variant } : { object: object! };
    return { id: eventId(r.id), object: 'event', type: publicType(r.type)!, created: unix(r.created_at)!, data };
  });
}
