import type { Tx } from '../db/pool';
import type { Followup } from '../queue/followups';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import { needsAddress } from '../shipping/address';
import type { OrderRow } from './orders.repository';
import { shippingNeedOf, transitionOrder } from './orders.store';

/**
 * A reserved order whose product ships, and whose buyer has no address it ships to, waits as
 * awaiting_details with its units held; the buyer is asked, by reply, for an address. Returns
 * null when the order can be charged now. Matching (linked buyers) and the resume after signup
 * both go through here, so the rule is in one place.
 */
export async function holdForAddress(tx: Tx, order: OrderRow, productName: string, publicBaseUrl: string): Promise<Followup[] | null> {
  const need = await shippingNeedOf(tx, order.id);
  if (!need || !needsAddress(need, need.address)) return null;
  const held = await transitionOrder(tx, order, 'awaiting_details', {}, { reason: need.address ? 'address_not_shipped_to' : 'address_missing' });
  const text = renderReply('address_needed', {
    orderId: held.id, product: productName, quantity: held.quantity, amount: held.amount, currency: held.currency,
    url: `${publicBaseUrl}/account/address?order=${encodeURIComponent(held.id)}`,
  });
  const reply = await insertReply(tx, { inReplyTo: held.tweet_id, orderId: held.id, kind: 'address_needed', text });
  return reply ? [{ kind: 'reply', replyId: reply.id, replyKind: 'address_needed', subject: held.id }] : [];
}
