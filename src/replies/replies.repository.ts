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
  status: 'pending' | 'posted' | 'refused' | 'failed';
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

export async function finishReply(
  db: Queryable,
  id: string,
  outcome: { status: 'posted'; xReplyId: string } | { status: 'refused' | 'failed'; error: string },
): Promise<void> {
  // One statement: the reply and its order's reply_status change together.
  await db.query(
    `WITH done AS (
       UPDATE replies SET status = $2, x_reply_id = $3, error = $4, posted_at = CASE WHEN $2 = 'posted' THEN clock_timestamp() END
       WHERE id = $1 AND status = 'pending' RETURNING order_id)
     UPDATE orders SET reply_status = $2, updated_at = clock_timestamp() FROM done WHERE orders.id = done.order_id`,
    [id, outcome.status, outcome.status === 'posted' ? outcome.xReplyId : null, outcome.status === 'posted' ? null : outcome.error],
  );
}

/**
 * Claims a pending reply for one attempt. Null when it is finished, or when another attempt
 * holds it (started less than claimSeconds ago and its result is not known yet).
 */
export async function claimReply(db: Queryable, id: string, claimSeconds: number): Promise<(ReplyRow & { previous_attempts: number }) | null> {
  const { rows } = await db.query<ReplyRow & { previous_attempts: number }>(
    `UPDATE replies SET attempts = attempts + 1, last_attempt_at = clock_timestamp()
     WHERE id = $1 AND status = 'pending' AND (last_attempt_at IS NULL OR last_attempt_at < clock_timestamp() - make_interval(secs => $2))
     RETURNING *, attempts - 1 AS previous_attempts`,
    [id, claimSeconds],
  );
  return rows[0] ?? null;
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

/** The job subject of a reply: its own subject (a refund) when it has one, else its order or post. */
export const replySubject = (r: Pick<ReplyRow, 'subject_key' | 'order_id' | 'in_reply_to_tweet_id'>): string =>
  r.subject_key ?? r.order_id ?? r.in_reply_to_tweet_id;
