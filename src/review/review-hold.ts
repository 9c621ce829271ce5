import type { Tx } from '../db/pool';
import type { OrderRow } from '../orders/orders.repository';
import { transitionOrder } from '../orders/orders.store';
import { reviewReasons, storedRules } from './review-rules';

/**
 * The review rules for an order that reaches `reserved` outside the matcher (a buyer who signed up
 * after posting): the same rules, with X's facts as cached when the post was matched. Holds the
 * order in_review and returns true when a rule matches; the caller then charges nothing.
 */
export async function holdForReview(tx: Tx, order: OrderRow, now = new Date()): Promise<boolean> {
  const { rows: [ctx] } = await tx.query<{ own: unknown; fallback: unknown; created_at: Date | null; followers: number | null; cached: boolean; recent: number }>(
    `SELECT p.review_rules AS own, m.review_rules AS fallback, f.account_created_at AS created_at, f.followers_count AS followers,
       f.x_user_id IS NOT NULL AS cached,
       (SELECT count(*)::int FROM orders o WHERE o.buyer_x_user_id = $2 AND o.merchant_id = p.merchant_id
          AND o.created_at > clock_timestamp() - interval '1 hour') AS recent
     FROM products p JOIN merchants m ON m.id = p.merchant_id LEFT JOIN x_account_facts f ON f.x_user_id = $2
     WHERE p.id = $1`,
    [order.product_id, order.buyer_x_user_id],
  );
  if (!ctx) return false;
  const rules = storedRules(ctx.own) ?? storedRules(ctx.fallback);
  // `recent` counts this order already (it was made within the hour, or it would not count at all).
  const reasons = reviewReasons(rules, {
    facts: ctx.cached ? { createdAt: ctx.created_at, followersCount: ctx.followers } : undefined,
    ordersThisHour: Math.max(ctx.recent, 1), amount: order.amount, now,
  });
  if (!reasons.length) return false;
  await transitionOrder(tx, order, 'in_review', {}, { reasons });
  await tx.query(
    `UPDATE orders SET review_reasons = $2, review_on_expiry = $3, review_expires_at = clock_timestamp() + make_interval(hours => $4) WHERE id = $1`,
    [order.id, reasons, rules!.on_window_expiry, rules!.window_hours],
  );
  return true;
}
