import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../src/logger';
import type { MatchingService } from '../src/posts/matching.service';
import { enqueueFollowups } from '../src/queue/followups';
import { inboundPostSchema } from '../src/queue/payloads';
import type { Queues } from '../src/queue/queues';

export interface TweetsDeps {
  matching: MatchingService;
  queues: Queues;
  log: Logger;
  onOutcome?: (outcome: string, reason: string | null) => void;
  /** Asks Stripe for the refund a buyer's #cancel wrote (idempotent by the refund's id). */
  refunds?: { processPending(refundId: string): Promise<unknown> };
}

/** Queue `tweets`: one post in, exactly one recorded outcome out, then its follow-up jobs. */
export function tweetsProcessor(d: TweetsDeps) {
  return async (job: Job): Promise<{ outcome: string; reason: string | null }> => {
    const parsed = inboundPostSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed post payload: ${parsed.error.issues[0]?.message}`);
    const post = parsed.data;
    const r = await d.matching.handlePost(post);
    await enqueueFollowups(d.queues, r.followups);
    // A crash before this leaves the refund pending: a redelivery of the post or the sweep asks again.
    for (const refundId of r.refundIds ?? []) await d.refunds?.processPending(refundId);
    d.onOutcome?.(r.outcome, r.reason);
    d.log.info({ post_id: post.id, job_id: job.id, outcome: r.outcome, reason: r.reason, order_ids: r.orderIds }, 'post handled');
    return { outcome: r.outcome, reason: r.reason };
  };
}
