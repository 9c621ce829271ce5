import type { Queryable } from '../db/pool';
import { assertTransition } from '../orders/lifecycle';
import type { OrderRow } from '../orders/orders.repository';

/**
 * The review decisions' writes. The status moves with its own event (order.approved /
 * order.rejected) in one statement, as transitionOrder does for the others; the lifecycle table
 * allows the move first.
 */
export async function approveInReview(tx: Queryable, order: Pick<OrderRow, 'id' | 'status'>, by: string): Promise<OrderRow> {
  assertTransition(order.status, 'reserved');
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       UPDATE orders SET status = 'reserved', review_expires_at = NULL, updated_at = clock_timestamp()
       WHERE id = $1 AND status = 'in_review' RETURNING *),
     e AS (INSERT INTO order_events (order_id, type, data) SELECT id, 'order.approved', jsonb_build_object('by', $2::text) FROM o)
     SELECT * FROM o`,
    [order.id, by],
  );
  if (!rows[0]) throw new Error(`order ${order.id} is no longer in_review`);
  return rows[0];
}

export async function rejectInReview(tx: Queryable, order: Pick<OrderRow, 'id' | 'status'>, by: string, reason: string | null): Promise<OrderRow> {
  assertTransition(order.status, 'canceled');
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       UPDATE orders SET status = 'canceled', stock_held = false, failure_code = 'rejected_in_review', failure_message = $3,
         review_expires_at = NULL, updated_at = clock_timestamp()
       WHERE id = $1 AND status = 'in_review' RETURNING *),
     e AS (INSERT INTO order_events (order_id, type, data) SELECT id, 'order.rejected', jsonb_build_object('by', $2::text, 'reason', $3::text) FROM o)
     SELECT * FROM o`,
    [order.id, by, reason],
  );
  if (!rows[0]) throw new Error(`order ${order.id} is no longer in_review`);
  return rows[0];
}

/** Orders whose review window has closed, oldest first. */
export async function expiredReviews(db: Queryable, now: Date, limit: number): Promise<Array<{ id: string; merchant_id: string; review_on_expiry: 'approve' | 'reject' }>> {
  const { rows } = await db.query<{ id: string; merchant_id: string; review_on_expiry: 'approve' | 'reject' }>(
    `SELECT id, merchant_id, COALESCE(review_on_expiry, 'reject') AS review_on_expiry FROM orders
     WHERE status = 'in_review' AND review_expires_at < $1 ORDER BY review_expires_at, id LIMIT $2`,
    [now, limit],
  );
  return rows;
}

export async function setProductRules(db: Queryable, merchantId: string, productId: string, rules: unknown): Promise<{ review_rules: unknown } | undefined> {
  const { rows } = await db.query<{ review_rules: unknown }>(
    `UPDATE products SET review_rules = $3, updated_at = clock_timestamp() WHERE id = $1 AND merchant_id = $2 RETURNING review_rules`,
    [productId, merchantId, rules === null ? null : JSON.stringify(rules)],
  );
  return rows[0];
}

export async function productRules(db: Queryable, merchantId: string, productId: string): Promise<{ review_rules: unknown } | undefined> {
  const { rows } = await db.query<{ review_rules: unknown }>('SELECT review_rules FROM products WHERE id = $1 AND merchant_id = $2', [productId, merchantId]);
  return rows[0];
}

export async function setMerchantRules(db: Queryable, merchantId: string, rules: unknown): Promise<void> {
  await db.query('UPDATE merchants SET review_rules = $2 WHERE id = $1', [merchantId, rules === null ? null : JSON.stringify(rules)]);
}

export async function merchantRules(db: Queryable, merchantId: string): Promise<unknown> {
  const { rows } = await db.query<{ review_rules: unknown }>('SELECT review_rules FROM merchants WHERE id = $1', [merchantId]);
  return rows[0]?.review_rules ?? null;
}
