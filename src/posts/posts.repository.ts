import type { Queryable } from '../db/pool';
import { COMMITS_SPEND, sqlStatuses } from '../orders/lifecycle';

/** Buyer-limit SQL shared with the charge path (a resumed order checks the same daily limit). */

/**
 * Serialises one buyer's purchases until the transaction ends and reads their current daily limit.
 * Concurrent posts by the same buyer (in any worker process) queue here, so the day's total read
 * next includes every order committed before, the way the product row lock does for stock. A
 * statement of its own: a lock taken inside the summing statement would sum an older snapshot.
 */
export async function lockBuyerLimit(tx: Queryable, buyerId: string): Promise<number | null> {
  const { rows } = await tx.query<{ daily_limit_amount: number | null }>('SELECT daily_limit_amount FROM buyers WHERE id = $1 FOR UPDATE', [buyerId]);
  return rows[0]?.daily_limit_amount ?? null;
}

/** What the buyer committed today (UTC) in one currency: paid, being charged or held. */
export async function spentToday(tx: Queryable, xUserId: string, currency: string): Promise<number> {
  const { rows } = await tx.query<{ total: number }>(
    `SELECT COALESCE(sum(amount - amount_refunded), 0)::bigint AS total FROM orders
     WHERE buyer_x_user_id = $1 AND currency = $2 AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AND status IN (${sqlStatuses(COMMITS_SPEND)})`,
    [xUserId, currency],
  );
  return Number(rows[0]?.total ?? 0);
}
