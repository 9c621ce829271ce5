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

export interface BuyerRow {
  id: string;
  x_user_id: string;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  daily_limit_amount: number | null;
}

/**
 * The live products for a post's hashtags and the author's linked buyer, if any, in one round
 * trip (every round trip costs both processes CPU; matching runs for every post of a flash sale).
 */
export async function productsAndBuyer(tx: Queryable, hashtagKeys: string[], xUserId: string): Promise<{ products: ProductRow[]; buyer: BuyerRow | undefined }> {
  const { rows } = await tx.query<ProductRow & { linked_buyer: BuyerRow | null }>(
    `SELECT p.*, b.linked_buyer FROM products p
     LEFT JOIN LATERAL (
       SELECT json_build_object('id', id, 'x_user_id', x_user_id, 'stripe_customer_id', stripe_customer_id,
         'payment_method_id', payment_method_id, 'daily_limit_amount', daily_limit_amount) AS linked_buyer
       FROM buyers WHERE x_user_id = $2 AND payment_method_id IS NOT NULL AND stripe_customer_id IS NOT NULL) b ON true
     WHERE p.hashtag_key = ANY($1) AND p.status = 'active' ORDER BY p.created_at`,
    [hashtagKeys, xUserId],
  );
  const buyer = rows[0]?.linked_buyer ?? undefined;
  return { products: rows.map(({ linked_buyer: _, ...p }) => p as ProductRow), buyer };
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
