import type { Queryable } from '../db/pool';
import { NOTICE_KINDS } from './templates';
import { CHARGE_PENDING, sqlStatuses } from '../orders/lifecycle';

/** What waits for X's budget: replies ahead of the notices, and the notices per product. */
export interface NoticeLoad {
  /**
   * Replies that go before the notices: pending ones of every kind a public notice cannot cover,
   * plus one per order still being charged (its receipt or decline is on its way).
   */
  ahead: number;
  /** Pending notices per product, not held by an attempt in flight. */
  notices: Array<{ productId: string; pending: number }>;
}

// A notice another attempt is posting right now (claimed within this many seconds) is left to it.
const inFlight = `(r.last_attempt_at IS NULL OR r.last_attempt_at < clock_timestamp() - make_interval(secs => $2))`;

// $1 product, $2 claim seconds, $3 notice id, $4 notice kinds. posted_at: when the buyer was told (by the notice).
const COVER = `UPDATE replies r SET status = 'aggregated', public_notice_id = $3, error = NULL, posted_at = clock_timestamp()
  FROM orders o WHERE o.id = r.order_id AND o.product_id = $1 AND r.status = 'pending' AND r.kind = ANY($4::text[]) AND ${inFlight}
  RETURNING r.id, r.order_id`;

/** One statement, on the partial index of pending replies. */
export async function noticeLoad(db: Queryable, claimSeconds: number): Promise<NoticeLoad> {
  const { rows } = await db.query<{ ahead: string; notices: Array<{ product_id: string; pending: number }> | null }>(
    `SELECT (SELECT count(*) FROM replies WHERE status = 'pending' AND kind <> ALL($1::text[]))
         + (SELECT count(*) FROM orders WHERE status IN (${sqlStatuses(CHARGE_PENDING)})) AS ahead,
       (SELECT json_agg(json_build_object('product_id', product_id, 'pending', n)) FROM (
          SELECT o.product_id, count(*)::int AS n FROM replies r JOIN orders o ON o.id = r.order_id
          WHERE r.status = 'pending' AND r.kind = ANY($1::text[]) AND ${inFlight}
          GROUP BY o.product_id) per_product) AS notices`,
    [NOTICE_KINDS, claimSeconds],
  );
  const row = rows[0]!;
  return { ahead: Number(row.ahead), notices: (row.notices ?? []).map((n) => ({ productId: n.product_id, pending: n.pending })) };
}

/** What the public notice and the public product page say: counts only, never who. */
export interface ProductCounts {
  id: string;
  name: string;
  status: 'active' | 'archived';
  inventory: number | null;
  waitlisted: number;
  soldOut: number;
}

export async function productCounts(db: Queryable, productId: string): Promise<ProductCounts | undefined> {
  const { rows } = await db.query<ProductCounts>(
    `SELECT p.id, p.name, p.status, p.inventory,
       (SELECT count(*)::int FROM orders WHERE product_id = p.id AND status = 'waitlisted') AS waitlisted,
       (SELECT count(*)::int FROM orders WHERE product_id = p.id AND status = 'sold_out') AS "soldOut"
     FROM products p WHERE p.id = $1`,
    [productId],
  );
  return rows[0];
}

/**
 * Takes the product's pending notice row for this attempt: written if none, then locked (SKIP
 * LOCKED), so two workers never post two notices for one product at once. Undefined: another
 * attempt holds it. Runs inside the transaction that posts it; a rollback leaves no row behind.
 */
export async function takePendingNotice(tx: Queryable, id: string, productId: string): Promise<{ id: string } | undefined> {
  await tx.query(
    `INSERT INTO public_notices (id, product_id, text) VALUES ($1, $2, '') ON CONFLICT (product_id) WHERE status = 'pending' DO NOTHING`,
    [id, productId],
  );
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM public_notices WHERE product_id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED`,
    [productId],
  );
  return rows[0];
}

/** Of these products, those with a notice posted within the horizon (product id → notice id): later notices are covered by it. */
export async function recentNotices(db: Queryable, productIds: string[], horizonMs: number): Promise<Map<string, string>> {
  if (!productIds.length) return new Map();
  const { rows } = await db.query<{ product_id: string; id: string }>(
    `SELECT DISTINCT ON (product_id) product_id, id FROM public_notices
     WHERE product_id = ANY($1::text[]) AND status = 'posted' AND posted_at > clock_timestamp() - make_interval(secs => $2)
     ORDER BY product_id, posted_at DESC`,
    [productIds, horizonMs / 1000],
  );
  return new Map(rows.map((r) => [r.product_id, r.id]));
}

/** Pending notices of the product (not held by an attempt in flight) covered by a notice already on X; their ids. */
export async function coverByNotice(db: Queryable, noticeId: string, productId: string, claimSeconds: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `WITH covered AS (${COVER}),
     o AS (UPDATE orders SET reply_status = 'aggregated', updated_at = clock_timestamp() FROM covered WHERE orders.id = covered.order_id),
     n AS (UPDATE public_notices SET covered = public_notices.covered + (SELECT count(*) FROM covered) WHERE id = $3)
     SELECT id FROM covered`,
    [productId, claimSeconds, noticeId, NOTICE_KINDS],
  );
  return rows.map((r) => r.id);
}

/** A pending notice row this attempt will not post after all (the product's notice is on X already). */
export async function discardPendingNotice(tx: Queryable, id: string): Promise<void> {
  await tx.query(`DELETE FROM public_notices WHERE id = $1 AND status = 'pending'`, [id]);
}

/**
 * The notice is on X: it is recorded, and every pending notice of the product (not held by an
 * attempt in flight) is covered by it: reply `aggregated`, its order's reply_status too.
 * Returns the ids of the replies it covered.
 */
export async function recordNoticePosted(
  tx: Queryable,
  notice: { id: string; productId: string; text: string; xPostId: string },
  claimSeconds: number,
): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `WITH covered AS (${COVER}),
     o AS (UPDATE orders SET reply_status = 'aggregated', updated_at = clock_timestamp() FROM covered WHERE orders.id = covered.order_id),
     n AS (UPDATE public_notices SET status = 'posted', text = $5, x_post_id = $6, posted_at = clock_timestamp(),
             covered = (SELECT count(*) FROM covered) WHERE id = $3)
     SELECT id FROM covered`,
    [notice.productId, claimSeconds, notice.id, NOTICE_KINDS, notice.text, notice.xPostId],
  );
  return rows.map((r) => r.id);
}
