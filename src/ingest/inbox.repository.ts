import type { Queryable } from '../db/pool';
import { storablePost, type InboundPost } from '../x/x.port';

/**
 * The ingest inbox: every post ingest received, in PostgreSQL before it is queued and before the
 * cursor moves past it. A post's outcome (posts) closes its row; the sweep prunes closed rows and
 * queues again the open ones whose job Redis lost. A batch matcher can read its work from here.
 */

/**
 * One multi-row statement per batch; a post already there (stream and backfill both saw it) is kept
 * as it was. Returns the posts new to the inbox, in the order given.
 */
export async function writeInbox(db: Queryable, posts: InboundPost[]): Promise<InboundPost[]> {
  if (!posts.length) return [];
  const ids: string[] = [];
  const payloads: string[] = [];
  for (const post of posts) {
    const clean = storablePost(post);
    ids.push(clean.id);
    payloads.push(JSON.stringify(clean));
  }
  const { rows } = await db.query<{ tweet_id: string }>(
    `INSERT INTO post_inbox (tweet_id, payload)
     SELECT t.id, t.payload::jsonb FROM unnest($1::text[], $2::text[]) AS t(id, payload)
     ON CONFLICT (tweet_id) DO NOTHING RETURNING tweet_id`,
    [ids, payloads],
  );
  const fresh = new Set(rows.map((r) => r.tweet_id));
  return posts.filter((p) => fresh.has(p.id));
}

/**
 * Posts received at least `staleAfterS` ago that still have no outcome, earliest post first,
 * after the post id `after` (keyset: a sweep walks through them batch by batch).
 */
export async function staleInboxPosts(db: Queryable, staleAfterS: number, limit: number, after = '0'): Promise<InboundPost[]> {
  const { rows } = await db.query<{ payload: InboundPost }>(
    `SELECT i.payload FROM post_inbox i
      WHERE i.received_at < clock_timestamp() - make_interval(secs => $1)
        AND (length(i.tweet_id), i.tweet_id) > (length($3::text), $3::text)
        AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.tweet_id = i.tweet_id)
      ORDER BY length(i.tweet_id), i.tweet_id
      LIMIT $2`,
    [staleAfterS, limit, after],
  );
  return rows.map((r) => r.payload);
}

/** Drops inbox rows whose post has its outcome; returns how many. */
export async function pruneInbox(db: Queryable, limit: number): Promise<number> {
  const r = await db.query(
    `DELETE FROM post_inbox WHERE tweet_id IN (
       SELECT i.tweet_id FROM post_inbox i JOIN posts p ON p.tweet_id = i.tweet_id LIMIT $1)`,
    [limit],
  );
  return r.rowCount ?? 0;
}
