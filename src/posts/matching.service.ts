import type { InboundPost } from '../x/x.port';
import { uniqueFollowups } from '../queue/followups';
import { hashtagKey } from '../products/hashtag';
import { compareIds } from '../ingest/ids';
import type { AccountFacts } from '../review/review-rules';
import { screen } from './decide';
import * as batch from './batch.repository';
import { decideBatch } from './decide-batch';
import { decideInTurn } from './batch-transaction';
import type { BatchResult, MalformedPost, MatchingDeps, MatchResult, PostResult } from './matching-context';

export type { BatchResult, MalformedPost, MatchingDeps, MatchResult, PostResult, SeparatePath } from './matching-context';

/**
 * Decides posts in batches: each post gets exactly one recorded outcome and at most one order,
 * in one transaction per batch with a fixed number of statements, in post-id order (the earlier
 * post gets the last unit). Re-running a batch changes nothing for the posts it already decided
 * and returns the work they still have pending, so a crash between commit and enqueue loses nothing.
 *
 * Where the posts become orders: decide-batch.ts (its locks in batch-locks.ts, its rows in
 * batch-writer.ts), run in the batch's transaction and turn among concurrent batches (batch-transaction.ts).
 */
export function createMatchingService(d: MatchingDeps) {
  async function handleBatch(input: InboundPost[], opts: { now?: Date; malformed?: MalformedPost[] } = {}): Promise<BatchResult> {
    const now = opts.now ?? new Date();
    const separate = d.separate ? input.filter((p) => d.separate!.takes(p)) : [];
    const byId = new Map<string, InboundPost>();
    for (const p of input) if (!separate.includes(p) && !byId.has(p.id)) byId.set(p.id, p);
    const posts = [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
    const malformed = (opts.malformed ?? []).filter((m) => !byId.has(m.id));

    let decided = new Map<string, PostResult>();
    if (posts.length || malformed.length) {
      const open = posts.filter((p) => !screen(p, d));
      // Asked before the transaction: no lock is held while X answers.
      const facts = d.accountFacts && open.length
        ? await d.accountFacts.factsFor([...new Set(open.map((p) => p.authorId))], [...new Set(open.flatMap((p) => p.hashtags.map(hashtagKey)))])
        : new Map<string, AccountFacts>();
      decided = await decideInTurn(d.db, open, (q, turn) => decideBatch(q, d, { posts, malformed, now, facts }, turn));
    }
    const ids = [...posts.map((p) => p.id), ...malformed.map((m) => m.id)];
    const recordedIds = ids.filter((id) => !decided.has(id));
    const recorded = recordedIds.length ? await batch.recordedPosts(d.db, recordedIds) : new Map<string, batch.RecordedPost>();
    const results: PostResult[] = ids.map((id) => {
      const fresh = decided.get(id);
      if (fresh) return fresh;
      const before = recorded.get(id);
      return { postId: id, outcome: before?.outcome ?? 'unknown', reason: before?.reason ?? null, orderIds: [], followups: before?.followups ?? [] };
    });
    for (const p of separate) results.push({ postId: p.id, ...(await d.separate!.handle(p, now)) });
    return { results, followups: uniqueFollowups(results.flatMap((r) => r.followups)) };
  }

  return {
    handleBatch,
    /** One post: a batch of one (the same rules, the same statements). */
    async handlePost(post: InboundPost, now = new Date()): Promise<MatchResult> {
      const { results: [r] } = await handleBatch([post], { now });
      const { postId: _id, ...result } = r!;
      return result;
    },
  };
}
export type MatchingService = ReturnType<typeof createMatchingService>;
