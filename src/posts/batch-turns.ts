import type { Queryable } from '../db/pool';

/**
 * Turns between concurrent batches, so the earlier post gets the last unit across batches as it
 * does within one. A batch with posts for a product of limited stock says so (a matching_batches
 * row, committed at once, keyed by its first post id) and holds a session advisory lock on its
 * row's id until it is done; before it takes units it lets every live batch with earlier posts
 * for the same hashtags go first, waiting on that lock (no polling). Unlimited products never wait,
 * and neither do sold-out ones: a batch that finds no unit left (under the product's row lock)
 * takes nothing from an earlier batch, which can only take units, so the order of the two cannot
 * change who gets one. In a flash sale that makes every batch after the last unit run concurrently
 * instead of one at a time. A unit freed meanwhile (a failed charge) makes the batch take its turn.
 *
 * Batches are ordered by their first post: two batches whose id ranges interleave are served one
 * after the other, not merged. Ingest hands posts on in arrival (≈ id) order, so ranges rarely do.
 */

/** The ids of batches whose advisory lock is held in this database: the ones still running. */
export const LIVE_BATCH = `b.id IN (
  SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`;

/**
 * Records the batch (only when it names a product of limited stock), takes its advisory lock, and
 * returns its id with the live batches it must let go first. One statement.
 */
export async function announceBatch(db: Queryable, firstPostId: string, hashtagKeys: string[]): Promise<{ id: string | null; earlier: string[] }> {
  const { rows: [r] } = await db.query<{ id: string | null; held: number; earlier: string[] }>(
    `WITH me AS (
       INSERT INTO matching_batches (first_post_id, hashtag_keys)
       SELECT $1::numeric, keys FROM (
         SELECT ARRAY(SELECT DISTINCT hashtag_key FROM products WHERE hashtag_key = ANY($2) AND status = 'active' AND inventory - reserved - sold > 0) AS keys) k
       WHERE cardinality(keys) > 0
       RETURNING id, hashtag_keys),
     held AS (SELECT pg_advisory_lock(id) FROM me)
     SELECT (SELECT id::text FROM me) AS id, (SELECT count(*) FROM held) AS held,
       ARRAY(SELECT b.id::text FROM matching_batches b, me
             WHERE (b.first_post_id, b.id) < ($1::numeric, me.id) AND b.hashtag_keys && me.hashtag_keys AND ${LIVE_BATCH} ORDER BY b.id) AS earlier`,
    [firstPostId, hashtagKeys],
  );
  return { id: r!.id, earlier: r!.earlier };
}

/**
 * Inside the batch's transaction, once its stock rows are locked: live batches with earlier posts
 * for these hashtags that started after the announcement (they queued behind this one on a lock).
 */
export async function earlierBatches(tx: Queryable, id: string, firstPostId: string, hashtagKeys: string[]): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT b.id::text AS id FROM matching_batches b
     WHERE (b.first_post_id, b.id) < ($2::numeric, $1::bigint) AND b.hashtag_keys && $3 AND ${LIVE_BATCH}`,
    [id, firstPostId, hashtagKeys],
  );
  return rows.map((r) => r.id);
}

/**
 * Waits until each batch is done: its advisory lock is held until then, and a shared lock on the
 * same key is granted once it is let go. The waiter holds no row locks meanwhile, and waits only
 * for earlier batches, so no two batches can wait on each other. Once the hashtags' limited stock
 * is gone it stops waiting (in the same statement): the batches still ahead can take nothing from
 * it, so in a flash sale the batches queued behind the last unit go at once.
 */
export async function awaitBatches(db: Queryable, ids: string[], hashtagKeys: string[]): Promise<void> {
  for (const id of ids) {
    await db.query(
      `SELECT pg_advisory_lock_shared($1::bigint), pg_advisory_unlock_shared($1::bigint)
       WHERE EXISTS (SELECT 1 FROM products WHERE hashtag_key = ANY($2) AND status = 'active' AND inventory - reserved - sold > 0)`,
      [id, hashtagKeys],
    );
  }
}

/** The batch is done (committed, or given up): its row goes (if its commit did not take it) and its lock. */
export async function retireBatch(db: Queryable, id: string): Promise<void> {
  await db.query('WITH gone AS (DELETE FROM matching_batches WHERE id = $1) SELECT pg_advisory_unlock($1::bigint)', [id]);
}
