import type { Tx } from '../db/pool';
import type { Followup } from '../queue/followups';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import { needsAddress, type ShippingAddress } from '../shipping/address';
import type { OrderRow } from './orders.repository';
import { shippingNeedOf, transitionOrder } from './orders.store';

/** Why an order waits for an address, and what the buyer is told; null when nothing is missing. */
export function addressHoldOf(
  need: { shipping: 'required' | 'none'; shipping_countries: string[] | null },
  address: ShippingAddress | null,
  order: Pick<OrderRow, 'id' | 'quantity' | 'amount' | 'currency'>,
  productName: string,
  publicBaseUrl: string,
): { reason: 'address_missing' | 'address_not_shipped_to'; text: string } | null {
  if (!needsAddress(need, address)) return null;
  const text = renderReply('address_needed', {
    orderId: order.id, product: productName, quantity: order.quantity, amount: order.amount, currency: order.currency,
    url: `${publicBaseUrl}/account/address?order=${encodeURIComponent(order.id)}`,
  });
  return { reason: address ? 'address_not_shipped_to' : 'address_missing', text };
}

/**
 * A reserved order whose product ships, and whose buyer has no address it ships to, waits as
 * awaiting_details with its units held; the buyer is asked, by reply, for an address. Returns
 * null when the order can be charged now. Matching (a batch writes the same hold set-based, from
 * addressHoldOf) and the resume after signup both follow this rule.
 */
export async function holdForAddress(tx: Tx, order: OrderRow, productName: string, publicBaseUrl: string): Promise<Followup[] | null> {
  const need = await shippingNeedOf(tx, order.id);
  const hold = need ? addressHoldOf(need, need.address, order, productName, publicBaseUrl) : null;
  if (!hold) return null;
  const held = await transitionOrder(tx, order, 'awaiting_details', {}, { reason: hold.reason });
  const reply = await insertReply(tx, { inReplyTo: held.tweet_id, orderId: held.id, kind: 'address_needed', text: hold.text });
  return reply ? [{ kind: 'reply', replyId: reply.id, replyKind: 'address_needed', subject: held.id }] : [];
}
