import type { Queryable } from '../db/pool';
import type { ProductRow } from '../products/products.repository';
import { renderReply } from '../replies/templates';
import { storablePost, type InboundPost } from '../x/x.port';
import type { PostPlan } from '../posts/decide';
import { hashtagKey } from '../products/hashtag';
import { reviewReasons, storedRules, type AccountFacts, type ReviewReason, type ReviewRules } from '../review/review-rules';

/**
 * The merchant's controls as the matcher applies them to a batch (issue 15): blocklists, the pause
 * switch and review rules. Read in one statement under the batch's transaction, written in one.
 */
export interface BatchControls {
  blockedPairs: Set<string>;
  blockedEverywhere: Set<string>;
  operatorPause: { replies: boolean } | null;
  /** `productId|authorId`: posts already recorded in the current pause (that buyer was told once). */
  toldPaused: Set<string>;
  /** Review rules by merchant (the default when a product has none). */
  merchantRules: Map<string, ReviewRules | null>;
  /** `merchantId|authorId` → orders placed within the last hour (grows as the batch places more). */
  ordersLastHour: Map<string, number>;
  facts: Map<string, AccountFacts>;
}

export async function readBatchControls(q: Queryable, authorIds: string[], products: ProductRow[], facts: Map<string, AccountFacts>): Promise<BatchControls> {
  const merchantIds = [...new Set(products.map((p) => p.merchant_id))];
  const { rows: [r] } = await q.query<{
    operator: { replies: boolean } | null; blocked: Array<{ merchant_id: string | null; x_user_id: string }>; told: string[];
    rules: Array<{ id: string; review_rules: unknown }>; recent: Array<{ key: string; n: number }>;
  }>(
    `SELECT (SELECT json_build_object('replies', replies) FROM operator_pause) AS operator,
       COALESCE((SELECT json_agg(json_build_object('merchant_id', merchant_id, 'x_user_id', x_user_id)) FROM blocked_accounts
                 WHERE x_user_id = ANY($1) AND (merchant_id IS NULL OR merchant_id = ANY($2))), '[]') AS blocked,
       ARRAY(SELECT DISTINCT product_id || '|' || author_id FROM paused_posts
             WHERE resolution IS NULL AND author_id = ANY($1) AND product_id = ANY($3)) AS told,
       COALESCE((SELECT json_agg(json_build_object('id', id, 'review_rules', review_rules)) FROM merchants WHERE id = ANY($2)), '[]') AS rules,
       COALESCE((SELECT json_agg(json_build_object('key', merchant_id || '|' || buyer_x_user_id, 'n', n)) FROM (
                   SELECT merchant_id, buyer_x_user_id, count(*)::int AS n FROM orders
                   WHERE buyer_x_user_id = ANY($1) AND merchant_id = ANY($2) AND created_at > clock_timestamp() - interval '1 hour'
                   GROUP BY merchant_id, buyer_x_user_id) AS c), '[]') AS recent`,
    [authorIds, merchantIds, products.map((p) => p.id)],
  );
  return {
    blockedPairs: new Set(r!.blocked.filter((b) => b.merchant_id).map((b) => `${b.merchant_id}|${b.x_user_id}`)),
    blockedEverywhere: new Set(r!.blocked.filter((b) => !b.merchant_id).map((b) => b.x_user_id)),
    operatorPause: r!.operator,
    toldPaused: new Set(r!.told),
    merchantRules: new Map(r!.rules.map((m) => [m.id, storedRules(m.review_rules)])),
    ordersLastHour: new Map(r!.recent.map((x) => [x.key, x.n])),
    facts,
  };
}

/** Blocked by the operator, or by the merchant of any product the post names. */
export function isBlocked(c: BatchControls, authorId: string, candidates: ProductRow[]): boolean {
  return c.blockedEverywhere.has(authorId) || candidates.some((p) => c.blockedPairs.has(`${p.merchant_id}|${authorId}`));
}

export const BLOCKED_PLAN: PostPlan = { kind: 'decided', outcome: 'ignored', reason: 'blocked' };

export interface PausedWrite { tweet_id: string; product_id: string; merchant_id: string; author_id: string; scope: 'product' | 'operator'; payload: InboundPost }

/**
 * A purchase of a paused product is recorded, not sold: outcome `paused`, the post kept for the
 * resume, and (if asked) one reply per buyer per pause. Null when the sale is not paused.
 */
export function pausedPlan(c: BatchControls, post: InboundPost, product: ProductRow & { paused_at?: Date | null; pause_replies?: boolean }, shop: string, out: PausedWrite[]): PostPlan | null {
  const scope = product.paused_at ? 'product' : c.operatorPause ? 'operator' : null;
  if (!scope) return null;
  const told = `${product.id}|${post.authorId}`;
  const replies = scope === 'product' ? Boolean(product.pause_replies) : c.operatorPause!.replies;
  const reply = replies && !c.toldPaused.has(told) ? { kind: 'sale_paused' as const, text: renderReply('sale_paused', { product: product.name, shop }) } : undefined;
  c.toldPaused.add(told);
  out.push({ tweet_id: post.id, product_id: product.id, merchant_id: product.merchant_id, author_id: post.authorId, scope, payload: storablePost(post) });
  return { kind: 'decided', outcome: 'paused', reason: scope === 'product' ? 'product_paused' : 'operator_paused', ...(reply ? { reply } : {}) };
}

export interface ReviewWrite { order_id: string; reasons: ReviewReason[]; window_hours: number; on_expiry: 'approve' | 'reject' }

/** Counts the order toward the buyer's hour and says why it is held for review (empty: it is not). */
export function reviewHold(c: BatchControls, authorId: string, product: ProductRow & { review_rules?: unknown }, amount: number, now: Date): { reasons: ReviewReason[]; rules: ReviewRules | null } {
  const key = `${product.merchant_id}|${authorId}`;
  const ordersThisHour = (c.ordersLastHour.get(key) ?? 0) + 1;
  c.ordersLastHour.set(key, ordersThisHour);
  const rules = storedRules(product.review_rules) ?? c.merchantRules.get(product.merchant_id) ?? null;
  return { reasons: reviewReasons(rules, { facts: c.facts.get(authorId), ordersThisHour, amount, now }), rules };
}

/** Which live products each claimed post named (the sales report counts posts by these), whatever its outcome. */
export async function attributePosts(q: Queryable, posts: InboundPost[]): Promise<void> {
  const ids: string[] = [];
  const keys: string[] = [];
  for (const p of posts) for (const k of new Set(p.hashtags.map(hashtagKey))) {
    ids.push(p.id);
    keys.push(k);
  }
  if (!ids.length) return;
  await q.query(
    `INSERT INTO post_products (tweet_id, product_id, merchant_id)
     SELECT t.tweet_id, p.id, p.merchant_id FROM unnest($1::text[], $2::text[]) AS t (tweet_id, key)
     JOIN products p ON p.hashtag_key = t.key AND p.status = 'active'
     ON CONFLICT DO NOTHING`,
    [ids, keys],
  );
}

/** The batch's paused posts and review holds, in one statement. */
export async function writeBatchControls(q: Queryable, paused: PausedWrite[], reviews: ReviewWrite[]): Promise<void> {
  if (!paused.length && !reviews.length) return;
  await q.query(
    `WITH pp AS (
       INSERT INTO paused_posts (tweet_id, product_id, merchant_id, author_id, scope, payload)
       SELECT tweet_id, product_id, merchant_id, author_id, scope, payload
       FROM json_to_recordset($1::json) AS x (tweet_id text, product_id text, merchant_id text, author_id text, scope text, payload jsonb)
       ON CONFLICT (tweet_id) DO UPDATE SET product_id = EXCLUDED.product_id, scope = EXCLUDED.scope, paused_at = clock_timestamp(),
         resolution = NULL, resolved_at = NULL)
     UPDATE orders SET review_reasons = ARRAY(SELECT json_array_elements_text(x.reasons)), review_on_expiry = x.on_expiry,
       review_expires_at = clock_timestamp() + make_interval(hours => x.window_hours)
     FROM json_to_recordset($2::json) AS x (order_id text, reasons json, window_hours integer, on_expiry text) WHERE orders.id = x.order_id`,
    [JSON.stringify(paused), JSON.stringify(reviews)],
  );
}

/**
 * A sale resumed with "process" hands its recorded posts to the pipeline after the resume has
 * committed: until they are decided, a later post for the same limited stock must not take a unit
 * ahead of them. Its batch fails with this and is retried (BullMQ backoff); nothing is lost, the
 * post stays in the inbox.
 */
export class RecordedPostsFirst extends Error {
  constructor(readonly productIds: string[]) {
    super(`recorded posts of a resumed sale come first (products ${productIds.join(', ')})`);
    this.name = 'RecordedPostsFirst';
  }
}

/** Products among `productIds` with a post recorded while paused, handed on at resume, earlier than `beforePostId` and not decided yet. */
export async function productsWithRecordedPostsAhead(q: Queryable, productIds: string[], beforePostId: string): Promise<string[]> {
  if (!productIds.length) return [];
  const { rows } = await q.query<{ product_id: string }>(
    `SELECT DISTINCT pp.product_id FROM paused_posts pp
     WHERE pp.product_id = ANY($1) AND pp.resolution = 'processed' AND pp.resolved_at > clock_timestamp() - interval '1 day'
       AND (length(pp.tweet_id), pp.tweet_id) < (length($2::text), $2::text)
       AND NOT EXISTS (SELECT 1 FROM posts WHERE posts.tweet_id = pp.tweet_id)`,
    [productIds, beforePostId],
  );
  return rows.map((r) => r.product_id);
}
