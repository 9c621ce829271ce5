import type { Job, Queue } from 'bullmq';
import type { InboundPost } from '../x/x.port';
import { enqueuePosts, tweetJobId } from '../ingest/sink';
import { jobId } from './queues';

/**
 * Re-arms a job that is gone, failed for good, or left in no state at all (its record outlived
 * the lists that held it: Redis lost part of its keys): the order, reply, post or event it served
 * is still unfinished, so "nothing is lost" does not depend on Redis having kept the job. A job
 * still waiting, delayed or running is left alone (its id is deterministic).
 */
export async function rearm(queue: Queue, id: string, add: () => Promise<unknown>): Promise<boolean> {
  const job = await queue.getJob(id);
  if (!job) {
    await add();
    return true;
  }
  return revive(job, add);
}

async function revive(job: Job, add: () => Promise<unknown>): Promise<boolean> {
  const state = await job.getState();
  if (state === 'failed') {
    await job.retry('failed');
    return true;
  }
  if (state === 'unknown') {
    await job.remove();
    await add();
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
 * failed for good are retried, one left in no state is replaced. A job still waiting or running
 * is left alone.
 */
export async function rearmPosts(queue: Queue, posts: InboundPost[]): Promise<number> {
  const jobs = await Promise.all(posts.map((post) => queue.getJob(tweetJobId(post.id))));
  const missing = posts.filter((_, i) => !jobs[i]);
  await enqueuePosts(queue, missing);
  const present = posts.flatMap((post, i) => (jobs[i] ? [{ post, job: jobs[i]! }] : []));
  const revived = await Promise.all(present.map(({ post, job }) => revive(job, () => enqueuePosts(queue, [post]))));
  return missing.length + revived.filter(Boolean).length;
}
