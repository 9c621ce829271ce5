import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../src/logger';
import type { MalformedPost, MatchingService } from '../src/posts/matching.service';
import { enqueueFollowups } from '../src/queue/followups';
import { inboundPostSchema, postBatchJobSchema, postIdSchema } from '../src/queue/payloads';
import type { Queues } from '../src/queue/queues';
import type { InboundPost } from '../src/x/x.port';

export interface TweetsDeps {
  matching: MatchingService;
  queues: Queues;
  log: Logger;
  onOutcome?: (outcome: string, reason: string | null) => void;
  /** Asks Stripe for the refund a buyer's #cancel wrote (idempotent by the refund's id). */
  refunds?: { processPending(refundId: string): Promise<unknown> };
}

export type TweetsJobResult = { outcome: string; reason: string | null } | { posts: number; outcomes: Record<string, number> };

/** Each post on its own: a readable post, a malformed one with a usable id (recorded as such), or nothing usable (dropped, said). */
function readPosts(entries: unknown[], job: Job, log: Logger): { posts: InboundPost[]; malformed: MalformedPost[] } {
  const posts: InboundPost[] = [];
  const malformed: MalformedPost[] = [];
  for (const entry of entries) {
    const parsed = inboundPostSchema.safeParse(entry);
    if (parsed.success) {
      posts.push(parsed.data);
      continue;
    }
    const id = postIdSchema.safeParse(entry);
    const problem = `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`;
    if (id.success) malformed.push({ id: id.data.id, authorId: id.data.authorId ?? null });
    log.warn({ job_id: job.id, post_id: id.success ? id.data.id : null, problem }, id.success ? 'malformed post recorded as ignored' : 'malformed post without a usable id dropped');
  }
  return { posts, malformed };
}

/**
 * Queue `tweets`. A `batch` job (what ingest hands on) is where posts become orders in one hop:
 * the whole batch is decided in one transaction (matching.handleBatch), then the follow-up jobs
 * (charges, replies) are added, one addBulk per queue. A batch that fails is retried whole; posts
 * it already decided keep their outcome. A `post` job (one post, from before batches) is a batch of one.
 */
export function tweetsProcessor(d: TweetsDeps) {
  // A crash before this leaves the refund pending: a redelivery of the post or the sweep asks again.
  const askStripe = async (refundIds: string[] | undefined) => {
    for (const refundId of refundIds ?? []) await d.refunds?.processPending(refundId);
  };
  return async (job: Job): Promise<TweetsJobResult> => {
    if (job.name !== 'batch') {
      const parsed = inboundPostSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed post payload: ${parsed.error.issues[0]?.message}`);
      const { results: [r], followups } = await d.matching.handleBatch([parsed.data]);
      await enqueueFollowups(d.queues, followups);
      await askStripe(r!.refundIds);
      d.onOutcome?.(r!.outcome, r!.reason);
      d.log.info({ post_id: r!.postId, job_id: job.id, outcome: r!.outcome, reason: r!.reason, order_ids: r!.orderIds }, 'post handled');
      return { outcome: r!.outcome, reason: r!.reason };
    }
    const envelope = postBatchJobSchema.safeParse(job.data);
    if (!envelope.success) throw new UnrecoverableError(`malformed batch payload: ${envelope.error.issues[0]?.message}`);
    const { posts, malformed } = readPosts(envelope.data.posts, job, d.log);
    const { results, followups } = await d.matching.handleBatch(posts, { malformed });
    await enqueueFollowups(d.queues, followups);
    for (const r of results) await askStripe(r.refundIds);
    const outcomes: Record<string, number> = {};
    for (const r of results) {
      d.onOutcome?.(r.outcome, r.reason);
      d.log.debug({ post_id: r.postId, job_id: job.id, outcome: r.outcome, reason: r.reason, order_ids: r.orderIds }, 'post handled');
      const key = r.reason ? `${r.outcome}:${r.reason}` : r.outcome;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    d.log.info({ job_id: job.id, posts: results.length, outcomes, orders: results.reduce((n, r) => n + r.orderIds.length, 0) }, 'batch handled');
    return { posts: results.length, outcomes };
  };
}
