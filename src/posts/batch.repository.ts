import type { Queryable } from '../db/pool';
import type { ProductRow } from '../products/products.repository';
import type { Followup } from '../queue/followups';
import type { ReplyKind } from '../replies/templates';
import type { ShippingAddress } from '../shipping/address';
import { CHARGE_PENDING, COMMITS_SPEND, sqlStatuses, type OrderStatus } from '../orders/lifecycle';
import { LIVE_BATCH } from './batch-turns';
import { lockUnlimitedStock, unlimitedStockSql } from '../products/stock.repository';
import type { OrderVariant } from '../variants/variants.schema';

/**
 * The matcher's SQL for a whole batch of posts: a fixed number of set-based statements however
 * many posts the batch holds. Arrays go in as parameters (unnest / json_to_recordset).
 */

/** A post as the posts table stores it; `outcome` is final, or `processing` until the batch decides it. */
export interface PostClaim {
  tweetId: string;
  authorId: string;
  authorUsername: string | null;
  text: string;
  postedAt: string | null;
  outcome: string;
  reason: string | null;
  originalTweetId: string | null;
}

export interface LinkedBuyer {
  id: string;
  x_user_id: string;
  daily_limit_amount: number | null;
  shipping: ShippingAddress | null;
  /** The buyer asked to confirm every order with #confirm. */
  always_confirm: boolean;
}

export interface ClaimResult {
  /** The posts this call inserted; any other was recorded before (another batch, or an earlier run). */
  claimed: Set<string>;
  buyers: Map<string, LinkedBuyer>;
  chainsBought: Set<string>;
}

/**
 * Claims every post (in id order, so two batches sharing posts queue on the first they share and
 * never deadlock) and, in the same round trip, reads the authors' linked buyers and which edit
 * chains already placed an order. The primary key makes a second delivery wait for the first
 * transaction and then find the post taken: at most one outcome per post, ever. The chain read is
 * a snapshot: a version buying at the same moment is stopped by orders_one_per_edit_chain.
 */
export async function claimPosts(tx: Queryable, rows: PostClaim[], authorIds: string[], chainIds: string[]): Promise<ClaimResult> {
  // One JSON parameter rather than a text array per column: pg escapes every element of an array
  // parameter one by one, which showed in the worker's profile. `n` keeps the id order of the inserts.
  const claims = JSON.stringify(rows.map((r, n) => ({
    tweet_id: r.tweetId, author_id: r.authorId, author_username: r.authorUsername, text: r.text, posted_at: r.postedAt,
    outcome: r.outcome, reason: r.reason, original_tweet_id: r.originalTweetId, n,
  })));
  const { rows: [found] } = await tx.query<{ claimed: string[]; buyers: LinkedBuyer[]; chains_bought: string[] }>(
    `WITH c AS (
       INSERT INTO posts (tweet_id, author_id, author_username, text, posted_at, outcome, reason, original_tweet_id)
       SELECT tweet_id, author_id, author_username, text, posted_at, outcome, reason, original_tweet_id
       FROM json_to_recordset($1::json) AS i (tweet_id text, author_id text, author_username text, text text, posted_at timestamptz,
         outcome text, reason text, original_tweet_id text, n integer)
       ORDER BY n
       ON CONFLICT (tweet_id) DO NOTHING RETURNING tweet_id)
     SELECT ARRAY(SELECT tweet_id FROM c) AS claimed,
       COALESCE((SELECT json_agg(json_build_object('id', id, 'x_user_id', x_user_id, 'daily_limit_amount', daily_limit_amount, 'shipping', shipping,
                                          'always_confirm', always_confirm))
                 FROM buyers WHERE x_user_id = ANY($2) AND payment_method_id IS NOT NULL AND stripe_customer_id IS NOT NULL), '[]') AS buyers,
       ARRAY(SELECT DISTINCT chain_id FROM orders WHERE chain_id = ANY($3)) AS chains_bought`,
    [claims, authorIds, chainIds],
  );
  return {
    claimed: new Set(found!.claimed),
    buyers: new Map(found!.buyers.map((b) => [b.x_user_id, b])),
    chainsBought: new Set(found!.chains_bought),
  };
}

/** Live products for any of the hashtag keys, oldest first (the order ambiguity replies name them in). */
export async function liveProducts(tx: Queryable, hashtagKeys: string[]): Promise<ProductRow[]> {
  const { rows } = await tx.query<ProductRow>(
    `SELECT * FROM products WHERE hashtag_key = ANY($1) AND status = 'active' ORDER BY created_at, id`,
    [hashtagKeys],
  );
  return rows;
}

/**
 * Serialises the buyers' purchases until the transaction ends (in id order: concurrent batches
 * never deadlock) and reads their current daily limits. A statement of its own: the day's totals
 * are read by the next statement, whose snapshot includes every order committed before the locks.
 */
export async function lockBuyerLimits(tx: Queryable, buyerIds: string[]): Promise<Map<string, number | null>> {
  const { rows } = await tx.query<{ id: string; daily_limit_amount: number | null }>(
    'SELECT id, daily_limit_amount FROM buyers WHERE id = ANY($1) ORDER BY id FOR UPDATE',
    [buyerIds],
  );
  return new Map(rows.map((r) => [r.id, r.daily_limit_amount]));
}

export const spendKey = (xUserId: string, currency: string) => `${xUserId}|${currency}`;

/** What each buyer committed today (UTC), per currency: paid, being charged or held. Keyed by spendKey. */
export async function spentTodayByBuyer(tx: Queryable, xUserIds: string[], currencies: string[]): Promise<Map<string, number>> {
  const { rows } = await tx.query<{ buyer_x_user_id: string; currency: string; total: number }>(
    `SELECT buyer_x_user_id, currency, COALESCE(sum(amount - amount_refunded), 0)::bigint AS total FROM orders
     WHERE buyer_x_user_id = ANY($1) AND currency = ANY($2)
       AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AND status IN (${sqlStatuses(COMMITS_SPEND)})
     GROUP BY buyer_x_user_id, currency`,
    [xUserIds, currencies],
  );
  return new Map(rows.map((r) => [spendKey(r.buyer_x_user_id, r.currency.trim()), Number(r.total)]));
}

/** A locked product's stock: units left (null = no product-wide limit) and whether it is unlimited altogether. */
export interface LockedStock { available: number | null; unlimited: boolean }

/**
 * Locks the products stock is taken from, in id order (concurrent batches queue, never deadlock,
 * never oversell), and reads the units left: null = unlimited. The locked row is the latest one.
 * `share`: for a batch that will take no unit unless it finds one left (then it rolls back and
 * takes its turn): sold-out batches read together instead of queueing one after another, and
 * every writer of stock (FOR UPDATE or UPDATE) still waits for them.
 * `unlimited`: for a batch that takes only from unlimited stock, which keeps no count: no row lock
 * at all, only a shared stock lock per product (stock.repository), which such batches hold side by
 * side and a merchant's switch to limited stock waits for (and new batches then wait for it). The
 * products are read after it, so what a switch committed meanwhile is seen.
 */
export async function lockStock(tx: Queryable, productIds: string[], mode: 'update' | 'share' | 'unlimited' = 'update'): Promise<Map<string, LockedStock>> {
  if (mode === 'unlimited') await lockUnlimitedStock(tx, productIds);
  const { rows } = await tx.query<{ id: string; available: number | null; unlimited: boolean }>(
    `SELECT id, inventory - reserved - sold AS available, ${unlimitedStockSql('products')} AS unlimited
     FROM products WHERE id = ANY($1) ORDER BY id ${{ update: 'FOR UPDATE', share: 'FOR SHARE', unlimited: '' }[mode]}`,
    [productIds],
  );
  return new Map(rows.map((r) => [r.id, { available: r.available, unlimited: r.unlimited }]));
}

export interface OrderWrite {
  id: string; merchant_id: string; product_id: string; variant_id: string | null; variant: OrderVariant | null; tweet_id: string; chain_id: string; buyer_x_user_id: string;
  buyer_x_username: string | null; buyer_id: string | null; quantity: number; amount: number; currency: string;
  status: OrderStatus; stock_held: boolean; failure_code: string | null; failure_message: string | null; reply_status: 'none' | 'pending';
  /** The #confirm deadline of an order that waits for it; else null. */
  action_expires_at: string | null;
}
export interface EventWrite { order_id: string; type: string; data: Record<string, unknown> }
export interface ReplyWrite { id: string; in_reply_to_tweet_id: string; order_id: string | null; kind: ReplyKind; text: string }
export interface BatchWrites {
  stock: Array<{ product_id: string; quantity: number }>;
  orders: OrderWrite[];
  events: EventWrite[];
  signupTokens: Array<{ id: string; x_user_id: string; order_id: string }>;
  replies: ReplyWrite[];
  outcomes: Array<{ tweet_id: string; outcome: string; reason: string | null }>;
}

/**
 * Everything the batch decided, in one statement: units taken, orders with their events (in post
 * order), signup tokens, replies (one per post and kind) and every claimed post's outcome. Returns
 * the ids of the replies written.
 */
export async function writeDecisions(
  tx: Queryable, w: BatchWrites, signupTtlHours: number, turn: { id: string; firstPostId: string; hashtagKeys: string[] } | null,
): Promise<{ replyIds: Set<string>; earlierBatches: string[] }> {
  const numbered = <T>(rows: T[]) => JSON.stringify(rows.map((r, n) => ({ ...r, n })));
  const { rows: [written] } = await tx.query<{ reply_ids: string[]; earlier: string[] }>(
    `WITH stock AS (
       UPDATE products SET reserved = reserved + s.quantity
       FROM json_to_recordset($1::json) AS s (product_id text, quantity integer) WHERE products.id = s.product_id),
     o AS (
       INSERT INTO orders (id, merchant_id, product_id, variant_id, variant, tweet_id, chain_id, buyer_x_user_id, buyer_x_username, buyer_id, quantity, amount,
                           currency, status, stock_held, failure_code, failure_message, reply_status, action_expires_at)
       SELECT id, merchant_id, product_id, variant_id, variant, tweet_id, chain_id, buyer_x_user_id, buyer_x_username, buyer_id, quantity, amount,
              currency, status, stock_held, failure_code, failure_message, reply_status, action_expires_at
       FROM json_to_recordset($2::json) AS x (id text, merchant_id text, product_id text, variant_id text, variant jsonb, tweet_id text, chain_id text, buyer_x_user_id text,
         buyer_x_username text, buyer_id text, quantity integer, amount bigint, currency text, status text, stock_held boolean,
         failure_code text, failure_message text, reply_status text, action_expires_at timestamptz, n integer)
       ORDER BY n),
     e AS (
       INSERT INTO order_events (order_id, type, data)
       SELECT order_id, type, data FROM json_to_recordset($3::json) AS x (order_id text, type text, data jsonb, n integer) ORDER BY n),
     t AS (
       INSERT INTO signup_tokens (id, x_user_id, order_id, expires_at)
       SELECT id, x_user_id, order_id, clock_timestamp() + make_interval(hours => $7)
       FROM json_to_recordset($4::json) AS x (id text, x_user_id text, order_id text)),
     r AS (
       INSERT INTO replies (id, in_reply_to_tweet_id, order_id, kind, text)
       SELECT id, in_reply_to_tweet_id, order_id, kind, text
       FROM json_to_recordset($5::json) AS x (id text, in_reply_to_tweet_id text, order_id text, kind text, text text, n integer)
       ORDER BY n
       ON CONFLICT (in_reply_to_tweet_id, kind, subject_key) DO NOTHING RETURNING id),
     p AS (
       UPDATE posts SET outcome = x.outcome, reason = x.reason
       FROM json_to_recordset($6::json) AS x (tweet_id text, outcome text, reason text) WHERE posts.tweet_id = x.tweet_id)
     SELECT ARRAY(SELECT id FROM r) AS reply_ids,
       -- A batch with earlier posts for the same stock that made itself known since the locks: the
       -- caller rolls this one back and lets it go first.
       ARRAY(SELECT b.id FROM matching_batches b WHERE cardinality($10::text[]) > 0 AND (b.first_post_id, b.id) < ($9::numeric, $8::bigint)
             AND b.hashtag_keys && $10 AND ${LIVE_BATCH}) AS earlier`,
    [numbered(w.stock), numbered(w.orders), numbered(w.events), numbered(w.signupTokens), numbered(w.replies), numbered(w.outcomes), signupTtlHours,
      turn?.id ?? null, turn?.firstPostId ?? null, turn?.hashtagKeys ?? []],
  );
  return { replyIds: new Set(written!.reply_ids), earlierBatches: written!.earlier };
}

export interface RecordedPost {
  outcome: string;
  reason: string | null;
  followups: Followup[];
}

/**
 * Posts recorded before this batch (another batch, an earlier run): their outcome, and the work
 * they still have outstanding (charges not finished, replies not sent), so a crash between commit
 * and enqueue loses nothing. One statement for the lot.
 */
export async function recordedPosts(db: Queryable, tweetIds: string[]): Promise<Map<string, RecordedPost>> {
  const { rows } = await db.query<{ tweet_id: string; outcome: string; reason: string | null; charges: string[]; replies: Array<{ id: string; kind: ReplyKind; order_id: string | null; subject_key: string | null }> }>(
    `SELECT p.tweet_id, p.outcome, p.reason,
       ARRAY(SELECT o.id FROM orders o WHERE o.tweet_id = p.tweet_id AND o.status IN (${sqlStatuses(CHARGE_PENDING)}) ORDER BY o.id) AS charges,
       COALESCE((SELECT json_agg(json_build_object('id', r.id, 'kind', r.kind, 'order_id', r.order_id, 'subject_key', r.subject_key) ORDER BY r.id)
                 FROM replies r WHERE r.in_reply_to_tweet_id = p.tweet_id AND r.status = 'pending'), '[]') AS replies
     FROM posts p WHERE p.tweet_id = ANY($1)`,
    [tweetIds],
  );
  return new Map(rows.map((r) => [r.tweet_id, {
    outcome: r.outcome,
    reason: r.reason,
    followups: [
      ...r.charges.map((orderId) => ({ kind: 'charge' as const, orderId })),
      ...r.replies.map((rep) => ({ kind: 'reply' as const, replyId: rep.id, replyKind: rep.kind, subject: rep.subject_key ?? rep.order_id ?? r.tweet_id })),
    ],
  }]));
}
