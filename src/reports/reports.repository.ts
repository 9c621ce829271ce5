import type { Queryable } from '../db/pool';
import { FULFILLABLE, MONEY_TAKEN, sqlStatuses } from '../orders/lifecycle';

export interface SalesFigures {
  posts_seen: number;
  posts_by_outcome: Record<string, number>;
  ignored_by_reason: Record<string, number>;
  orders_by_status: Record<string, number>;
  units_sold: number;
  money: Array<{ currency: string; gross: number; refunded: number; platform_fee: number | null }>;
  signup_links_sent: number;
  signups_completed: number;
  median_seconds: number | null;
}

/**
 * The sales report in one statement, from the records themselves: the posts that named the
 * merchant's products (post_products, and every post that made an order), the orders, their
 * refunds and signup links. Posts are dated by when they were received, orders by when they were made.
 */
export async function salesFigures(db: Queryable, merchantId: string, f: { productId?: string; from?: Date; until?: Date }): Promise<SalesFigures> {
  const { rows: [r] } = await db.query<SalesFigures>(
    `WITH scope_orders AS (
       SELECT * FROM orders WHERE merchant_id = $1 AND ($2::text IS NULL OR product_id = $2)
         AND created_at >= COALESCE($3::timestamptz, '-infinity') AND created_at < COALESCE($4::timestamptz, 'infinity')),
     named AS (
       SELECT tweet_id FROM post_products WHERE merchant_id = $1 AND ($2::text IS NULL OR product_id = $2)
       UNION SELECT tweet_id FROM orders WHERE merchant_id = $1 AND ($2::text IS NULL OR product_id = $2)),
     scope_posts AS (
       SELECT p.tweet_id, p.outcome, p.reason, EXISTS (SELECT 1 FROM orders o WHERE o.tweet_id = p.tweet_id) AS ordered
       FROM named JOIN posts p ON p.tweet_id = named.tweet_id
       WHERE p.received_at >= COALESCE($3::timestamptz, '-infinity') AND p.received_at < COALESCE($4::timestamptz, 'infinity'))
     SELECT
       (SELECT count(*)::int FROM scope_posts) AS posts_seen,
       (SELECT COALESCE(json_object_agg(outcome, n), '{}') FROM (SELECT outcome, count(*)::int AS n FROM scope_posts GROUP BY outcome) AS x) AS posts_by_outcome,
       (SELECT COALESCE(json_object_agg(k, n), '{}') FROM (
          SELECT COALESCE(reason, outcome) AS k, count(*)::int AS n FROM scope_posts WHERE NOT ordered GROUP BY 1) AS x) AS ignored_by_reason,
       (SELECT COALESCE(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM scope_orders GROUP BY status) AS x) AS orders_by_status,
       (SELECT COALESCE(sum(quantity), 0)::int FROM scope_orders WHERE status IN (${sqlStatuses(FULFILLABLE)})) AS units_sold,
       (SELECT COALESCE(json_agg(json_build_object('currency', currency, 'gross', gross, 'refunded', refunded, 'platform_fee', platform_fee) ORDER BY currency), '[]') FROM (
          SELECT trim(currency) AS currency, sum(amount)::bigint AS gross, sum(amount_refunded)::bigint AS refunded,
            -- Destination charges only (Connect): the fee less the share refunds gave back (Stripe refunds it in proportion).
            sum(application_fee_amount - round(application_fee_amount * amount_refunded::numeric / amount))
              FILTER (WHERE transfer_destination IS NOT NULL AND application_fee_amount IS NOT NULL)::bigint AS platform_fee
          FROM scope_orders WHERE status IN (${sqlStatuses(MONEY_TAKEN)}) GROUP BY 1) AS x) AS money,
       (SELECT count(*)::int FROM signup_tokens t JOIN scope_orders o ON o.id = t.order_id) AS signup_links_sent,
       (SELECT count(DISTINCT o.id)::int FROM signup_tokens t JOIN scope_orders o ON o.id = t.order_id WHERE o.buyer_id IS NOT NULL) AS signups_completed,
       (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.paid_at - COALESCE(p.posted_at, p.received_at))))::int
          FROM scope_orders o JOIN posts p ON p.tweet_id = o.tweet_id WHERE o.paid_at IS NOT NULL) AS median_seconds`,
    [merchantId, f.productId ?? null, f.from ?? null, f.until ?? null],
  );
  return r!;
}
