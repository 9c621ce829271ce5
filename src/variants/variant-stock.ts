import type { Queryable } from '../db/pool';
import { addOrderEvent, reserveStock } from '../orders/orders.store';
import { lockProductRow, variantsAvailable } from './variants.repository';

/**
 * Takes an order's units again (a buyer who signed up later): the product's, and for an order of
 * a variant the variant's too. The product row is locked before the variant's units are counted,
 * as the matcher does, so two takers of the last unit queue and only one gets it.
 */
export async function reserveOrderStock(tx: Queryable, order: { id: string; product_id: string; variant_id: string | null; quantity: number; variant: unknown }): Promise<boolean> {
  if (!order.variant_id) return reserveStock(tx, order.product_id, order.quantity);
  await lockProductRow(tx, order.product_id);
  const left = (await variantsAvailable(tx, [order.variant_id])).get(order.variant_id);
  if (left === undefined || (left !== null && left < order.quantity)) return false;
  if (!(await reserveStock(tx, order.product_id, order.quantity))) return false;
  if (left === order.quantity) await addOrderEvent(tx, order.id, 'product.variant_sold_out', { product: order.product_id, variant: order.variant });
  return true;
}
