import type { Queryable } from '../db/pool';
import type { Followup } from '../queue/followups';
import type { ReplyKind } from '../replies/templates';
import { CHARGE_PENDING, sqlStatuses, type OrderStatus } from './lifecycle';

/**
 * The follow-up jobs orders still need: a charge for an order still `reserved` or `charging`,
 * a reply job for each reply written but not yet sent. A job that finds its work already done
 * (a retry after a crash between commit and enqueue) hands these back, so the buyer's receipt
 * goes out at once instead of waiting for the maintenance sweep. Idempotent by job id.
 */
export async function pendingWorkForOrders(db: Queryable, which: { orderIds: string[] } | { buyerXUserId: string }): Promise<Followup[]> {
  const [where, param] = 'orderIds' in which ? ['o.id = ANY($1)', which.orderIds] : ['o.buyer_x_user_id = $1', which.buyerXUserId];
  // Replies are reached through the post they answer (the unique index), not a scan by order id.
  const { rows } = await db.query<{ order_id: string; status: OrderStatus; reply_id: string | null; reply_kind: ReplyKind | null; subject_key: string | null }>(
    `SELECT o.id AS order_id, o.status, r.id AS reply_id, r.kind AS reply_kind, r.subject_key
     FROM orders o LEFT JOIN replies r ON r.in_reply_to_tweet_id = o.tweet_id AND r.order_id = o.id AND r.status = 'pending'
     WHERE ${where} AND (o.status IN (${sqlStatuses(CHARGE_PENDING)}) OR r.id IS NOT NULL)`,
    [param],
  );
  const followups: Followup[] = [];
  const charged = new Set<string>();
  for (const row of rows) {
    if (CHARGE_PENDING.includes(row.status) && !charged.has(row.order_id)) {
      charged.add(row.order_id);
      followups.push({ kind: 'charge', orderId: row.order_id });
    }
    if (row.reply_id && row.reply_kind) followups.push({ kind: 'reply', replyId: row.reply_id, replyKind: row.reply_kind, subject: row.subject_key ?? row.order_id });
  }
  return followups;
}
