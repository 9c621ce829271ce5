import type { Queue } from 'bullmq';
import type { InboundPost } from '../x/x.port';
import { enqueuePosts, tweetJobId } from '../ingest/sink';
import { jobId } from './queues';

/**
 * Re-arms a job that is gone or failed for good: the order, reply or event it served is still
 * unfinished, so "nothing is lost" does not depend on Redis having kept the job. A job still
 * waiting, delayed or running is left alone (its id is deterministic).
 */
export async function rearm(queue: Queue, id: string, add: () => Promise<unknown>): Promise<boolean> {
  const job = await queue.getJob(id);
  if (!job) {
    await add();
    return true;
  }
  if (await job.isFailed()) {
    await job.retry('failed');
    return true;
  }
  return false;
}

export const stripeEventJobId = (eventId: string) => jobId('stripe', eventId);

/** Makes sure a stored Stripe event has a live job: the webhook on a retry, the sweep on a schedule. */
export function rearmStripeEvent(queue: Queue, eventId: string, type: string): Promise<boolean> {
  const id = stripeEventJobId(eventId);
  return rearm(queue, id, () => queue.add(type, { eventId }, { jobId: id }));
}

/**
 * Posts received but without an outcome: a batch of them is looked up together; those whose job
 * is gone are queued again in one step (`tweet-<id>`, as ingest queues them), those whose job
 * failed for good are retried. A job still waiting or running is left alone.
 */
export async function rearmPosts(queue: Queue, posts: InboundPost[]): Promise<number> {
  const jobs = await Promise.all(posts.map((post) => queue.getJob(tweetJobId(post.id))));
  const missing = posts.filter((_, i) => !jobs[i]);
  await enqueuePosts(queue, missing);
  const present = jobs.filter((job): job is NonNullable<typeof job> => Boolean(job));
  const failed = await Promise.all(present.map((job) => job.isFailed()));
  const retry = present.filter((_, i) => failed[i]);
  await Promise.all(retry.map((job) => job.retry('failed')));
  return missing.length + retry.length;
}
