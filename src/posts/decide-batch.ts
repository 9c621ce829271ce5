import type { Queryable } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import { hashtagKey } from '../products/hashtag';
import { compareIds } from '../ingest/ids';
import { batchVariants } from '../variants/variant-ledger';
import * as controls from '../controls/batch-controls';
import type { AccountFacts } from '../review/review-rules';
import { chainIdOf, planPost, screen, type PostPlan } from './decide';
import * as batch from './batch.repository';
import { lockBatch, type Purchase } from './batch-locks';
import { createBatchWriter } from './batch-writer';
import { EarlierBatchesFirst, unique, type MalformedPost, type MatchingDeps, type PostResult, type Turn } from './matching-context';

const MALFORMED = { outcome: 'ignored', reason: 'malformed' } as const;
const PROCESSING = { outcome: 'processing', reason: null } as const;

/** A batch's posts (distinct, in id order), the malformed entries with a post id, and the X facts read for it. */
export interface BatchInput { posts: InboundPost[]; malformed: MalformedPost[]; now: Date; facts: Map<string, AccountFacts> }

/**
 * Where a batch of posts becomes orders: it claims every post, plans each one it claimed (decide.ts)
 * in id order, takes the locks and reads the stock (batch-locks.ts), turns the plans into rows
 * (batch-writer.ts) and writes them in one statement. Runs inside the batch's transaction and turn
 * (batch-transaction.ts), which runs it again when it throws for a turn or for earlier batches.
 *
 * One attempt at the batch; null results for posts recorded before it (not claimed here).
 */
export async function decideBatch(q: Queryable, d: MatchingDeps, input: BatchInput, turn: Turn | null): Promise<Map<string, PostResult>> {
  const { posts, malformed, now, facts } = input;
  const screened = new Map(posts.map((p) => [p.id, screen(p, d)]));
  const open = posts.filter((p) => !screened.get(p.id));
  const claims: batch.PostClaim[] = [
    ...posts.map((p) => ({
      tweetId: p.id, authorId: p.authorId, authorUsername: p.authorUsername, text: p.text, postedAt: p.createdAt,
      ...(screened.get(p.id) ?? PROCESSING), originalTweetId: p.editHistoryIds.length > 1 ? p.editHistoryIds[0]! : null,
    })),
    ...malformed.map((m) => ({ tweetId: m.id, authorId: m.authorId ?? '', authorUsername: null, text: '', postedAt: null, ...MALFORMED, originalTweetId: null })),
  ].sort((a, b) => compareIds(a.tweetId, b.tweetId));

  const results = new Map<string, PostResult>();
  const settle = (postId: string, outcome: string, reason: string | null): PostResult => {
    const r: PostResult = { postId, outcome, reason, orderIds: [], followups: [] };
    results.set(postId, r);
    return r;
  };

  const claim = await batch.claimPosts(q, claims, unique(open.map((p) => p.authorId)), unique(open.map(chainIdOf)));
  for (const p of posts) {
    const s = screened.get(p.id);
    if (s && claim.claimed.has(p.id)) settle(p.id, s.outcome, s.reason);
  }
  for (const m of malformed) if (claim.claimed.has(m.id)) settle(m.id, MALFORMED.outcome, MALFORMED.reason);
  await controls.attributePosts(q, posts.filter((p) => claim.claimed.has(p.id)));
  const mine = open.filter((p) => claim.claimed.has(p.id));
  if (!mine.length) return results;
  const products = await batch.liveProducts(q, unique(mine.flatMap((p) => p.hashtags.map(hashtagKey))));
  const variantsOf = await batchVariants(q, products);
  // Merchant controls (issue 15): blocked accounts, paused sales, review rules.
  const control = await controls.readBatchControls(q, unique(mine.map((p) => p.authorId)), products, facts);
  // A sale resumed with its recorded posts to process: they are decided first, in post order.
  const limitedOpen = products.filter((p) => p.inventory !== null && !p.paused_at).map((p) => p.id);
  const ahead = await controls.productsWithRecordedPostsAhead(q, limitedOpen, mine[0]!.id);
  if (ahead.length) throw new controls.RecordedPostsFirst(ahead);
  const paused: controls.PausedWrite[] = [];

  // The rules, post by post in id order; an edit chain buys once, with its first version that
  // places an order (whatever becomes of it). A version that cannot buy never decides its chain.
  const chainsBought = new Set(claim.chainsBought);
  const plans = new Map<string, PostPlan>();
  for (const post of mine) {
    const chain = chainIdOf(post);
    if (chainsBought.has(chain)) {
      plans.set(post.id, { kind: 'decided', outcome: 'ignored', reason: 'edit_of_handled_post' });
      continue;
    }
    const keys = new Set(post.hashtags.map(hashtagKey));
    const candidates = products.filter((p) => keys.has(p.hashtag_key));
    if (controls.isBlocked(control, post.authorId, candidates)) {
      plans.set(post.id, controls.BLOCKED_PLAN);
      continue;
    }
    let plan = planPost(post, post.createdAt ? new Date(post.createdAt) : now, candidates, d.shopUsername, variantsOf);
    if (plan.kind === 'order') plan = controls.pausedPlan(control, post, plan.product, d.shopUsername, paused) ?? plan;
    if (plan.kind === 'order') chainsBought.add(chain);
    plans.set(post.id, plan);
  }

  const buying = mine.flatMap((post): Purchase[] => {
    const plan = plans.get(post.id)!;
    return plan.kind === 'order' ? [{ post, plan, buyer: claim.buyers.get(post.authorId) }] : [];
  });
  const locked = await lockBatch(q, products, buying, turn, variantsOf);

  const writer = createBatchWriter({ deps: d, now, settle, locked, control });
  for (const post of mine) {
    const plan = plans.get(post.id)!;
    if (plan.kind === 'decided') writer.decided(post, plan);
    else writer.buy({ post, plan, buyer: claim.buyers.get(post.authorId) });
  }
  const w = writer.writes(mine.map((p) => ({ tweet_id: p.id, outcome: results.get(p.id)!.outcome, reason: results.get(p.id)!.reason })));
  const written = await batch.writeDecisions(q, w, d.signupTtlHours ?? 24, turn && { ...turn, hashtagKeys: locked.limitedKeys });
  if (written.earlierBatches.length) throw new EarlierBatchesFirst(written.earlierBatches);
  await controls.writeBatchControls(q, paused, writer.reviews);
  // A reply not written (one of its kind was already there) has no job to add.
  for (const r of results.values()) r.followups = r.followups.filter((f) => f.kind !== 'reply' || written.replyIds.has(f.replyId));
  return results;
}
