import type { Queryable } from '../db/pool';
import type { InboundPost } from '../x/x.port';

export interface PauseState { paused_at: Date | null; replies: boolean; recorded: number }

/** Open recorded posts of a scope (a product's, or the operator's across products). */
const OPEN = `SELECT count(*)::int FROM paused_posts WHERE resolution IS NULL`;

export async function pauseProduct(db: Queryable, merchantId: string, productId: string, replies: boolean): Promise<PauseState | undefined> {
  const { rows } = await db.query<PauseState>(
    `WITH p AS (
       UPDATE products SET paused_at = COALESCE(paused_at, clock_timestamp()), pause_replies = $3, updated_at = clock_timestamp()
       WHERE id = $1 AND merchant_id = $2 AND status = 'active' RETURNING id, paused_at, pause_replies)
     SELECT paused_at, pause_replies AS replies, (${OPEN} AND scope = 'product' AND product_id = $1) AS recorded FROM p`,
    [productId, merchantId, replies],
  );
  return rows[0];
}

export async function productPauseState(db: Queryable, merchantId: string, productId: string): Promise<PauseState | undefined> {
  const { rows } = await db.query<PauseState>(
    `SELECT paused_at, pause_replies AS replies, (${OPEN} AND scope = 'product' AND product_id = $1) AS recorded
     FROM products WHERE id = $1 AND merchant_id = $2`,
    [productId, merchantId],
  );
  return rows[0];
}

/** Locks the product and lifts its pause; undefined when it is not the merchant's, null paused_at when it was not paused. */
export async function unpauseProduct(tx: Queryable, merchantId: string, productId: string): Promise<{ was_paused: boolean; replies: boolean } | undefined> {
  const { rows } = await tx.query<{ was_paused: boolean; replies: boolean }>(
    `WITH prev AS (SELECT id, paused_at IS NOT NULL AS was_paused, pause_replies FROM products WHERE id = $1 AND merchant_id = $2 FOR UPDATE),
     u AS (UPDATE products SET paused_at = NULL, updated_at = clock_timestamp() FROM prev WHERE products.id = prev.id AND prev.was_paused)
     SELECT was_paused, pause_replies AS replies FROM prev`,
    [productId, merchantId],
  );
  return rows[0];
}

export async function pauseOperator(db: Queryable, replies: boolean): Promise<PauseState> {
  const { rows } = await db.query<PauseState>(
    `WITH o AS (
       INSERT INTO operator_pause (replies) VALUES ($1) ON CONFLICT (singleton) DO UPDATE SET replies = EXCLUDED.replies RETURNING paused_at, replies)
     SELECT paused_at, replies, (${OPEN} AND scope = 'operator') AS recorded FROM o`,
    [replies],
  );
  return rows[0]!;
}

export async function operatorPauseState(db: Queryable): Promise<PauseState> {
  const { rows } = await db.query<PauseState>(
    `SELECT o.paused_at, COALESCE(o.replies, false) AS replies, (${OPEN} AND scope = 'operator') AS recorded
     FROM (SELECT 1) AS one LEFT JOIN operator_pause o ON true`,
  );
  return rows[0]!;
}

export async function unpauseOperator(tx: Queryable): Promise<boolean> {
  const r = await tx.query('DELETE FROM operator_pause');
  return (r.rowCount ?? 0) > 0;
}

/**
 * Resolves the open recorded posts of a scope, in one statement, and returns them in post order.
 * 'process': their `paused` outcome is taken back and they go into the ingest inbox again, so the
 * pipeline decides each once more (the posts key keeps it to once) and the sweep re-queues any whose
 * job is lost. 'close': their outcome becomes ignored / closed_after_pause.
 */
export async function resolvePausedPosts(
  tx: Queryable, scope: { productId: string } | 'operator', action: 'process' | 'close',
): Promise<InboundPost[]> {
  const { rows } = await tx.query<{ payload: InboundPost }>(
    `WITH open AS (
       SELECT tweet_id, payload FROM paused_posts
       WHERE resolution IS NULL AND ($1::text IS NULL AND scope = 'operator' OR scope = 'product' AND product_id = $1)
       ORDER BY length(tweet_id), tweet_id FOR UPDATE),
     resolved AS (
       UPDATE paused_posts SET resolution = CASE WHEN $2 = 'process' THEN 'processed' ELSE 'closed' END, resolved_at = clock_timestamp()
       FROM open WHERE paused_posts.tweet_id = open.tweet_id),
     reopened AS (DELETE FROM posts WHERE $2 = 'process' AND outcome = 'paused' AND tweet_id IN (SELECT tweet_id FROM open)),
     inbox AS (
       INSERT INTO post_inbox (tweet_id, payload) SELECT tweet_id, payload FROM open WHERE $2 = 'process'
       ON CONFLICT (tweet_id) DO UPDATE SET received_at = clock_timestamp()),
     closed AS (
       UPDATE posts SET outcome = 'ignored', reason = 'closed_after_pause'
       WHERE $2 = 'close' AND outcome = 'paused' AND tweet_id IN (SELECT tweet_id FROM open))
     SELECT payload FROM open ORDER BY length(tweet_id), tweet_id`,
    [scope === 'operator' ? null : scope.productId, action],
  );
  return rows.map((r) => r.payload);
}
