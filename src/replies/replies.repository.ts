import type { Queryable } from '../db/pool';
import { newId } from '../ids';
import type { ReplyKind } from './templates';

export interface ReplyRow {
  id: string;
  in_reply_to_tweet_id: string;
  order_id: string | null;
  kind: ReplyKind;
  /** What the reply is about when a kind can happen more than once per post (a refund's id); else null. */
  subject_key: string | null;
  text: string;
  status: 'pending' | 'posted' | 'refused' | 'failed' | 'aggregated';
  x_reply_id: string | null;
  error: string | null;
  created_at: Date;
  posted_at: Date | null;
}

/** One reply per (post, kind, subject): a second insert for the same key is a no-op. */
export async function insertReply(
  tx: Queryable,
  r: { inReplyTo: string; orderId: string | null; kind: ReplyKind; text: string; subjectKey?: string },
  /** False when the caller sets the order's reply_status itself in its own update. */
  touchOrder = true,
): Promise<ReplyRow | undefined> {
  // The reply row and its order's reply_status in one statement: one round trip.
  const { rows } = await tx.query<ReplyRow>(
    `WITH r AS (
       INSERT INTO replies (id, in_reply_to_tweet_id, order_id, kind, text, subject_key) VALUES ($1, $2, $3, $4, $5, $7)
       ON CONFLICT (in_reply_to_tweet_id, kind, subject_key) DO NOTHING RETURNING *),
     o AS (UPDATE orders SET reply_status = 'pending', updated_at = clock_timestamp() FROM r WHERE $6 AND orders.id = r.order_id)
     SELECT * FROM r`,
    [newId('rep'), r.inReplyTo, r.orderId, r.kind, r.text, touchOrder, r.subjectKey ?? null],
  );
  return rows[0];
}

export async function findReply(db: Queryable, id: string): Promise<ReplyRow | undefined> {
  const { rows } = await db.query<ReplyRow>('SELECT * FROM replies WHERE id = $1', [id]);
  return rows[0];
}

/** What became of a reply's attempt: on X (its post id), or not to be posted (why). */
export type ReplyOutcome = { id: string; status: 'posted'; xReplyId: string } | { id: string; status: 'refused' | 'failed'; error: string };

/**
 * Records the outcomes of a batch in one statement: each reply still pending takes its outcome
 * and its order's reply_status follows (an order with several replies in the batch takes its
 * latest). A reply already finished is left as it is.
 */
export async function finishReplies(db: Queryable, outcomes: ReplyOutcome[]): Promise<void> {
  if (!outcomes.length) return;
  await db.query(
    `WITH outcome AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS o (id, status, x_reply_id, error)),
     done AS (
       UPDATE replies r SET status = o.status, x_reply_id = o.x_reply_id, error = o.error,
         posted_at = CASE WHEN o.status = 'posted' THEN clock_timestamp() END
       FROM outcome o WHERE r.id = o.id AND r.status = 'pending' RETURNING r.order_id, r.status, r.created_at, r.id),
     latest AS (SELECT DISTINCT ON (order_id) order_id, status FROM done WHERE order_id IS NOT NULL ORDER BY order_id, created_at DESC, id DESC)
     UPDATE orders SET reply_status = latest.status, updated_at = clock_timestamp() FROM latest WHERE orders.id = latest.order_id`,
    [
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.status),
      outcomes.map((o) => (o.status === 'posted' ? o.xReplyId : null)),
      outcomes.map((o) => (o.status === 'posted' ? null : o.error)),
    ],
  );
}

/** Every reply of these still pending gets failed with one reason (a job that gave up); one statement. */
export async function failPendingReplies(db: Queryable, ids: string[], error: string): Promise<void> {
  await finishReplies(db, ids.map((id) => ({ id, status: 'failed' as const, error })));
}

export type ClaimedReply = ReplyRow & { previous_attempts: number };

/**
 * Claims the pending replies of a batch for one attempt, in one statement. `claimed` are this
 * attempt's to post; `others` are finished, or held by another attempt (started less than
 * claimSeconds ago, result not known yet, or being claimed right now); ids not found are in neither.
 */
export async function claimReplies(
  db: Queryable,
  ids: string[],
  claimSeconds: number,
): Promise<{ claimed: ClaimedReply[]; others: Array<Pick<ReplyRow, 'id' | 'status' | 'x_reply_id'>> }> {
  // Rows locked in id order and locked rows skipped: two batches sharing replies never deadlock
  // nor wait for each other; what one holds the other sees as held.
  const { rows } = await db.query<ClaimedReply & { claimed: boolean }>(
    `WITH free AS (
       SELECT id FROM replies WHERE id = ANY($1::text[]) AND status = 'pending'
         AND (last_attempt_at IS NULL OR last_attempt_at < clock_timestamp() - make_interval(secs => $2))
       ORDER BY id FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE replies r SET attempts = r.attempts + 1, last_attempt_at = clock_timestamp() FROM free WHERE r.id = free.id
       RETURNING r.*, r.attempts - 1 AS previous_attempts)
     SELECT claimed.*, true AS claimed FROM claimed
     UNION ALL
     SELECT r.*, r.attempts AS previous_attempts, false AS claimed FROM replies r
     WHERE r.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM claimed WHERE claimed.id = r.id)`,
    [ids, claimSeconds],
  );
  const claimed: ClaimedReply[] = [];
  const others: Array<Pick<ReplyRow, 'id' | 'status' | 'x_reply_id'>> = [];
  for (const { claimed: mine, ...row } of rows) {
    if (mine) claimed.push(row);
    else others.push({ id: row.id, status: row.status, x_reply_id: row.x_reply_id });
  }
  return { claimed, others };
}

/** Claims of replies not posted after all (X said wait before their turn): the next attempt posts them straight away. */
export async function releaseReplyClaims(db: Queryable, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db.query(
    `UPDATE replies SET attempts = attempts - 1, last_attempt_at = NULL WHERE id = ANY($1::text[]) AND status = 'pending'`,
    [ids],
  );
}

/** Gives back a claim whose attempt never reached X (rate limited): the next attempt may start at once and is not counted twice. */
export async function releaseReplyClaim(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE replies SET attempts = attempts - 1, last_attempt_at = NULL WHERE id = $1', [id]);
}

export async function stalePendingReplies(db: Queryable, olderThanS: number, limit: number): Promise<ReplyRow[]> {
  const { rows } = await db.query<ReplyRow>(
    `SELECT * FROM replies WHERE status = 'pending' AND created_at < clock_timestamp() - make_interval(secs => $1)
     ORDER BY created_at LIMIT $2`,
    [olderThanS, limit],
  );
  return rows;
}
