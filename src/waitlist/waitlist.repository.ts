import type { Queryable } from '../db/pool';
import type { ProductRow } from '../products/products.repository';
import type { OrderRow } from '../orders/orders.repository';
import { MONEY_TAKEN, sqlStatuses } from '../orders/lifecycle';

/**
 * The waitlist's SQL. Its order is the post id (X's ids grow with time), compared as numbers;
 * the partial index orders_waitlist serves every read here.
 */

/** Orders waiting, per product (absent = none). */
export async function waitingCounts(db: Queryable, productIds: string[]): Promise<Map<string, number>> {
  if (!productIds.length) return new Map();
  const { rows } = await db.query<{ product_id: string; n: number }>(
    `SELECT product_id, count(*)::int AS n FROM orders WHERE product_id = ANY($1) AND status = 'waitlisted' GROUP BY product_id`,
    [productIds],
  );
  return new Map(rows.map((r) => [r.product_id, r.n]));
}

/** The products with how many orders wait for each: what the merchant API shows. */
export async function withWaitlistLength<P extends ProductRow>(db: Queryable, products: P[]): Promise<Array<P & { waitlist_length: number }>> {
  const counts = await waitingCounts(db, products.map((p) => p.id));
  return products.map((p) => ({ ...p, waitlist_length: counts.get(p.id) ?? 0 }));
}

/** The first waiting orders of a product, locked, in post order. The caller holds the product's row lock. */
export async function lockWaitlistHead(tx: Queryable, productId: string, limit: number): Promise<OrderRow[]> {
  const { rows } = await tx.query<OrderRow>(
    `SELECT * FROM orders WHERE product_id = $1 AND status = 'waitlisted' ORDER BY tweet_id::numeric, id LIMIT $2 FOR UPDATE`,
    [productId, limit],
  );
  return rows;
}

/** Each waiting order's place in line (1 = next), counted now. */
export async function positionsOf(db: Queryable, orderIds: string[]): Promise<Map<string, number>> {
  if (!orderIds.length) return new Map();
  const { rows } = await db.query<{ id: string; position: number }>(
    `SELECT o.id, (SELECT count(*)::int FROM orders w WHERE w.product_id = o.product_id AND w.status = 'waitlisted'
                   AND (w.tweet_id::numeric, w.id) <= (o.tweet_id::numeric, o.id)) AS position
     FROM orders o WHERE o.id = ANY($1) AND o.status = 'waitlisted'`,
    [orderIds],
  );
  return new Map(rows.map((r) => [r.id, r.position]));
}

/** Which (buyer, merchant) pairs have paid for an order before: `${xUserId}|${merchantId}`. */
export async function paidBefore(db: Queryable, xUserIds: string[], merchantIds: string[]): Promise<Set<string>> {
  if (!xUserIds.length || !merchantIds.length) return new Set();
  const { rows } = await db.query<{ key: string }>(
    `SELECT DISTINCT buyer_x_user_id || '|' || merchant_id AS key FROM orders
     WHERE buyer_x_user_id = ANY($1) AND merchant_id = ANY($2) AND status IN (${sqlStatuses(MONEY_TAKEN)})`,
    [xUserIds, merchantIds],
  );
  return new Set(rows.map((r) => r.key));
}

export interface PromotionBuyer {
  id: string;
  linked: boolean;
  daily_limit_amount: number | null;
  always_confirm: boolean;
}

export async function buyerForPromotion(db: Queryable, xUserId: string): Promise<PromotionBuyer | undefined> {
  const { rows } = await db.query<PromotionBuyer>(
    `SELECT id, payment_method_id IS NOT NULL AND stripe_customer_id IS NOT NULL AS linked, daily_limit_amount, always_confirm
     FROM buyers WHERE x_user_id = $1`,
    [xUserId],
  );
  return rows[0];
}

export async function insertSignupToken(tx: Queryable, t: { id: string; xUserId: string; orderId: string; ttlHours: number }): Promise<void> {
  await tx.query(
    `INSERT INTO signup_tokens (id, x_user_id, order_id, expires_at) VALUES ($1, $2, $3, clock_timestamp() + make_interval(hours => $4))`,
    [t.id, t.xUserId, t.orderId, t.ttlHours],
  );
}

/** Products with units free and orders waiting: a promotion that did not happen when the unit freed (the sweep's net). */
export async function productsToPromote(db: Queryable, limit = 100): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT p.id FROM products p
     WHERE p.status = 'active' AND (p.ends_at IS NULL OR p.ends_at > now())
       AND (p.inventory IS NULL OR p.inventory - p.reserved - p.sold > 0)
       AND EXISTS (SELECT 1 FROM orders o WHERE o.product_id = p.id AND o.status = 'waitlisted')
     ORDER BY p.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/** Waiting orders whose sale is over (archived, past ends_at, or its waitlist turned off). */
export async function waitlistedAfterSale(db: Queryable, limit = 500): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT o.id FROM orders o JOIN products p ON p.id = o.product_id
     WHERE o.status = 'waitlisted' AND (p.status <> 'active' OR p.ends_at <= now() OR NOT p.waitlist)
     ORDER BY o.product_id, o.tweet_id::numeric, o.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

export interface PublicProductCounts {
  name: string;
  hashtag: string;
  status: 'active' | 'archived';
  ends_at: Date | null;
  waitlist: boolean;
  units_left: number | null;
  waiting: number;
  /** Orders told "sold out" (posts after the last unit, not waitlisted). */
  sold_out: number;
}

/** What anyone may know of a product: its name and counts, never who waits. */
export async function publicCounts(db: Queryable, productId: string): Promise<PublicProductCounts | undefined> {
  const { rows } = await db.query<PublicProductCounts>(
    `SELECT p.name, p.hashtag, p.status, p.ends_at, p.waitlist,
       CASE WHEN p.inventory IS NULL THEN NULL ELSE p.inventory - p.reserved - p.sold END AS units_left,
       (SELECT count(*)::int FROM orders o WHERE o.product_id = p.id AND o.status = 'waitlisted') AS waiting,
       (SELECT count(*)::int FROM orders o WHERE o.product_id = p.id AND o.status = 'sold_out') AS sold_out
     FROM products p WHERE p.id = $1`,
    [productId],
  );
  return rows[0];
}
