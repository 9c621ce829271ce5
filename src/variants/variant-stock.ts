import type { Queryable } from '../db/pool';
import { addOrderEvent, reserveStock } from '../orders/orders.store';
import { lockProductRow, variantsAvailable } from './variants.repository';
import { shareLockIfUnlimited } from '../products/stock.repository';

/**
 * Takes an order's units again (a buyer who signed up later, a waitlist promotion): the product's,
 * and for an order of a variant the variant's too. The product row is locked before the variant's
 * units are counted, as the matcher does, so two takers of the last unit queue and only one gets
 * it. Unlimited stock holds nothing (`held` false) and is only share-locked, so that a switch to
 * limited stock waits for this order (and then holds its units) or this order sees the switch.
 * null: no unit left.
 */
export async function reserveOrderStock(
  tx: Queryable, order: { id: string; product_id: string; variant_id: string | null; quantity: number; variant: unknown },
): Promise<{ held: boolean } | null> {
  if (await shareLockIfUnlimited(tx, order.product_id)) return { held: false };
  if (!order.variant_id) return (await reserveStock(tx, order.product_id, order.quantity)) ? { held: true } : null;
  await lockProductRow(tx, order.product_id);
  const left = (await variantsAvailable(tx, [order.variant_id])).get(order.variant_id);
  if (left === undefined || (left !== null && left < order.quantity)) return null;
  if (!(await reserveStock(tx, order.product_id, order.quantity))) return null;
  if (left === order.quantity) await addOrderEvent(tx, order.id, 'product.variant_sold_out', { product: order.product_id, variant: order.variant });
  return { held: true };
}
