import type { Queryable } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import type { ProductRow } from '../products/products.repository';
import type { Followup } from '../queue/followups';
import type { ReplyKind } from '../replies/templates';

export interface PostRow {
  tweet_id: string;
  author_id: string;
  outcome: string;
  reason: string | null;
}

/**
 * Claims a post for processing. The primary key makes a second delivery wait for the first
 * transaction and then find the post taken: at most one outcome per post, ever.
 */
export async function claimPost(tx: Queryable, post: InboundPost): Promise<boolean> {
  const original = post.editHistoryIds.length > 1 ? post.editHistoryIds[0]! : null;
  const r = await tx.query(
    `INSERT INTO posts (tweet_id, author_id, author_username, text, posted_at, outcome, original_tweet_id)
     VALUES ($1, $2, $3, $4, $5, 'processing', $6) ON CONFLICT (tweet_id) DO NOTHING`,
    [post.id, post.authorId, post.authorUsername, post.text, post.createdAt, original],
  );
  return r.rowCount === 1;
}

export async function setOutcome(tx: Queryable, tweetId: string, outcome: string, reason: string | null): Promise<void> {
  await tx.query('UPDATE posts SET outcome = $2, reason = $3 WHERE tweet_id = $1', [tweetId, outcome, reason]);
}

export async function findPost(db: Queryable, tweetId: string): Promise<PostRow | undefined> {
  const { rows } = await db.query<PostRow>('SELECT tweet_id, author_id, outcome, reason FROM posts WHERE tweet_id = $1', [tweetId]);
  return rows[0];
}

/** An edit is ignored when any earlier version of the post was already handled. */
export async function anyHandled(tx: Queryable, tweetIds: string[]): Promise<boolean> {
  if (!tweetIds.length) return false;
  const { rows } = await tx.query(
    'SELECT 1 FROM posts WHERE tweet_id = ANY($1) OR original_tweet_id = ANY($1) LIMIT 1',
    [tweetIds],
  );
  return rows.length > 0;
}

export async function liveProductsFor(tx: Queryable, hashtagKeys: string[]): Promise<ProductRow[]> {
  const { rows } = await tx.query<ProductRow>(
    `SELECT * FROM products WHERE hashtag_key = ANY($1) AND status = 'active' ORDER BY created_at`,
    [hashtagKeys],
  );
  return rows;
}

export interface BuyerRow {
  id: string;
  x_user_id: string;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  daily_limit_amount: number | null;
}

export async function linkedBuyer(tx: Queryable, xUserId: string): Promise<BuyerRow | undefined> {
  const { rows } = await tx.query<BuyerRow>(
    `SELECT id, x_user_id, stripe_customer_id, payment_method_id, daily_limit_amount FROM buyers
     WHERE x_user_id = $1 AND payment_method_id IS NOT NULL AND stripe_customer_id IS NOT NULL`,
    [xUserId],
  );
  return rows[0];
}

/** What the buyer committed today (UTC) in one currency: paid, being charged or held. */
export async function spentToday(tx: Queryable, xUserId: string, currency: string): Promise<number> {
  const { rows } = await tx.query<{ total: number }>(
    `SELECT COALESCE(sum(amount - amount_refunded), 0)::bigint AS total FROM orders
     WHERE buyer_x_user_id = $1 AND currency = $2 AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AND status IN ('reserved', 'charging', 'requires_action', 'paid', 'partially_refunded')`,
    [xUserId, currency],
  );
  return Number(rows[0]?.total ?? 0);
}

export async function insertSignupToken(tx: Queryable, id: string, xUserId: string, orderId: string, ttlHours: number): Promise<void> {
  await tx.query(
    `INSERT INTO signup_tokens (id, x_user_id, order_id, expires_at) VALUES ($1, $2, $3, clock_timestamp() + make_interval(hours => $4))`,
    [id, xUserId, orderId, ttlHours],
  );
}

/** Work a post still has outstanding: charges not finished and replies not sent. */
export async function pendingWorkForPost(db: Queryable, tweetId: string): Promise<Followup[]> {
  const orders = await db.query<{ id: string }>(`SELECT id FROM orders WHERE tweet_id = $1 AND status IN ('reserved', 'charging')`, [tweetId]);
  const replies = await db.query<{ id: string; kind: ReplyKind; order_id: string | null }>(
    `SELECT id, kind, order_id FROM replies WHERE in_reply_to_tweet_id = $1 AND status = 'pending'`,
    [tweetId],
  );
  return [
    ...orders.rows.map((o) => ({ kind: 'charge' as const, orderId: o.id })),
    ...replies.rows.map((r) => ({ kind: 'reply' as const, replyId: r.id, replyKind: r.kind, subject: r.order_id ?? tweetId })),
  ];
}
