import type { Queryable } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import type { ProductRow } from '../products/products.repository';
import type { Followup } from '../queue/followups';
import type { ReplyKind } from '../replies/templates';
import { CHARGE_PENDING, COMMITS_SPEND, sqlStatuses } from '../orders/lifecycle';

export interface PostRow {
  tweet_id: string;
  author_id: string;
  outcome: string;
  reason: string | null;
}

const POST_COLUMNS = 'tweet_id, author_id, author_username, text, posted_at, outcome, reason, original_tweet_id';
const postValues = (post: InboundPost, outcome: string, reason: string | null) =>
  [post.id, post.authorId, post.authorUsername, post.text, post.createdAt, outcome, reason, post.editHistoryIds.length > 1 ? post.editHistoryIds[0]! : null];

/**
 * Records a post whose outcome needs nothing else (a retweet, no hashtag ...) in one statement.
 * False when the post was already recorded: at most one outcome per post, ever.
 */
export async function insertDecidedPost(db: Queryable, post: InboundPost, outcome: string, reason: string | null): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO posts (${POST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tweet_id) DO NOTHING`,
    postValues(post, outcome, reason),
  );
  return r.rowCount === 1;
}

/** The edit chain a post belongs to: the first id of its edit history (its own id if never edited). */
export function chainIdOf(post: InboundPost): string {
  return post.editHistoryIds[0] ?? post.id;
}

/**
 * Claims a post for processing and, in the same round trip, reads the live products for its
 * hashtags, the author's linked buyer, and whether another version of the post (its edit chain)
 * already placed an order. The primary key makes a second delivery wait for the first
 * transaction and then find the post taken: at most one outcome per post, ever. The chain read is
 * a snapshot: a version buying at the same moment is stopped by orders_one_per_edit_chain.
 */
export async function claimPostAndLookup(
  tx: Queryable,
  post: InboundPost,
  hashtagKeys: string[],
): Promise<{ claimed: false } | { claimed: true; products: ProductRow[]; buyer: BuyerRow | undefined; chainBought: boolean }> {
  const { rows } = await tx.query<ProductRow & { claimed: boolean; chain_bought: boolean; linked_buyer: BuyerRow | null }>(
    `WITH c AS (
       INSERT INTO posts (${POST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tweet_id) DO NOTHING RETURNING tweet_id)
     SELECT EXISTS (SELECT 1 FROM c) AS claimed, EXISTS (SELECT 1 FROM orders WHERE chain_id = $10) AS chain_bought, found.*
     FROM (SELECT 1) AS one LEFT JOIN (
       SELECT p.*, b.linked_buyer FROM products p
       LEFT JOIN LATERAL (
         SELECT json_build_object('id', id, 'x_user_id', x_user_id, 'stripe_customer_id', stripe_customer_id,
           'payment_method_id', payment_method_id, 'daily_limit_amount', daily_limit_amount) AS linked_buyer
         FROM buyers WHERE x_user_id = $2 AND payment_method_id IS NOT NULL AND stripe_customer_id IS NOT NULL) b ON true
       WHERE p.hashtag_key = ANY($9) AND p.status = 'active') AS found ON true
     ORDER BY found.created_at`,
    [...postValues(post, 'processing', null), hashtagKeys, chainIdOf(post)],
  );
  if (!rows[0]?.claimed) return { claimed: false };
  const found = rows.filter((r) => r.id !== null);
  const products = found.map(({ claimed: _c, chain_bought: _h, linked_buyer: _b, ...p }) => p as ProductRow);
  return { claimed: true, products, buyer: found[0]?.linked_buyer ?? undefined, chainBought: rows[0].chain_bought };
}

export async function setOutcome(tx: Queryable, tweetId: string, outcome: string, reason: string | null): Promise<void> {
  await tx.query('UPDATE posts SET outcome = $2, reason = $3 WHERE tweet_id = $1', [tweetId, outcome, reason]);
}

export async function findPost(db: Queryable, tweetId: string): Promise<PostRow | undefined> {
  const { rows } = await db.query<PostRow>('SELECT tweet_id, author_id, outcome, reason FROM posts WHERE tweet_id = $1', [tweetId]);
  return rows[0];
}

export interface BuyerRow {
  id: string;
  x_user_id: string;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  daily_limit_amount: number | null;
}

/**
 * Serialises one buyer's purchases until the transaction ends and reads their current daily limit.
 * Concurrent posts by the same buyer (in any worker process) queue here, so the day's total read
 * next includes every order committed before, the way the product row lock does for stock. A
 * statement of its own: a lock taken inside the summing statement would sum an older snapshot.
 */
export async function lockBuyerLimit(tx: Queryable, buyerId: string): Promise<number | null> {
  const { rows } = await tx.query<{ daily_limit_amount: number | null }>('SELECT daily_limit_amount FROM buyers WHERE id = $1 FOR UPDATE', [buyerId]);
  return rows[0]?.daily_limit_amount ?? null;
}

/** What the buyer committed today (UTC) in one currency: paid, being charged or held. */
export async function spentToday(tx: Queryable, xUserId: string, currency: string): Promise<number> {
  const { rows } = await tx.query<{ total: number }>(
    `SELECT COALESCE(sum(amount - amount_refunded), 0)::bigint AS total FROM orders
     WHERE buyer_x_user_id = $1 AND currency = $2 AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AND status IN (${sqlStatuses(COMMITS_SPEND)})`,
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
  const orders = await db.query<{ id: string }>(`SELECT id FROM orders WHERE tweet_id = $1 AND status IN (${sqlStatuses(CHARGE_PENDING)})`, [tweetId]);
  const replies = await db.query<{ id: string; kind: ReplyKind; order_id: string | null; subject_key: string | null }>(
    `SELECT id, kind, order_id, subject_key FROM replies WHERE in_reply_to_tweet_id = $1 AND status = 'pending'`,
    [tweetId],
  );
  return [
    ...orders.rows.map((o) => ({ kind: 'charge' as const, orderId: o.id })),
    ...replies.rows.map((r) => ({ kind: 'reply' as const, replyId: r.id, replyKind: r.kind, subject: r.subject_key ?? r.order_id ?? tweetId })),
  ];
}
