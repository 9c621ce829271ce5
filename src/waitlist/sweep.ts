import type { Db } from '../db/pool';
import { withTransaction } from '../db/pool';
import { uniqueFollowups, type Followup } from '../queue/followups';
import { lockOrder, transitionOrder } from '../orders/orders.store';
import { insertReply } from '../replies/replies.repository';
import { renderReply } from '../replies/templates';
import { promoteWaitlist, type WaitlistDeps } from './promotion';
import * as repo from './waitlist.repository';

/**
 * The maintenance sweep's part for waitlists: what is still waiting when a sale ends (ends_at,
 * archive, waitlist turned off) ends `sold_out` and is told; and a product with units free while
 * orders wait (a unit freed where no promotion ran, or a crash before it) promotes its head.
 */
export async function sweepWaitlists(db: Db, d: WaitlistDeps): Promise<{ ended: number; promoted: number; followups: Followup[] }> {
  const followups: Followup[] = [];
  let ended = 0;
  for (const id of await repo.waitlistedAfterSale(db)) {
    await withTransaction(db, async (tx) => {
      const order = await lockOrder(tx, id);
      if (order?.status !== 'waitlisted') return;
      const sold = await transitionOrder(tx, order, 'sold_out', { failure_code: 'sold_out' }, { reason: 'sale_ended' });
      const text = renderReply('sold_out', { orderId: sold.id, product: order.product_name, quantity: sold.quantity });
      const reply = await insertReply(tx, { inReplyTo: sold.tweet_id, orderId: sold.id, kind: 'sold_out', text });
      if (reply) followups.push({ kind: 'reply', replyId: reply.id, replyKind: 'sold_out', subject: sold.id });
      ended++;
    });
  }
  let promoted = 0;
  for (const productId of await repo.productsToPromote(db)) {
    const work = await withTransaction(db, (tx) => promoteWaitlist(tx, productId, d));
    promoted += work.length ? 1 : 0;
    followups.push(...work);
  }
  return { ended, promoted, followups: uniqueFollowups(followups) };
}
