import type { Job, Queue } from 'bullmq';
import type { z } from 'zod';
import type { InboundPost } from '../x/x.port';
import { enqueuePosts } from '../ingest/sink';
import { DEFAULT_GROUPING } from '../ingest/batches';
import { addJob, jobIdOf, postBatchJobId, stripeEventJob, type JobKind } from './registry';

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

/** Makes sure the job of a kind for this input is live (the registry spells its id and payload). */
export function rearmJob<Input, Schema extends z.ZodType>(queue: Queue, kind: JobKind<Input, Schema>, input: Input): Promise<boolean> {
  return rearm(queue, jobIdOf(kind, input), () => addJob(queue, kind, input));
}

/** Makes sure a stored Stripe event has a live job: the webhook on a retry, the sweep on a schedule. */
export function rearmStripeEvent(queue: Queue, eventId: string, type: string): Promise<boolean> {
  return rearmJob(queue, stripeEventJob, { eventId, type });
}

/**
 * Posts received but without an outcome, handed on again as `batch` jobs as ingest does. A chunk
 * whose job is still waiting or running is left alone (same posts, same deterministic id); one
 * whose job failed for good is retried; one left in no state is replaced. Returns the posts re-armed.
 */
export async function rearmPosts(queue: Queue, posts: InboundPost[], batchSize = DEFAULT_GROUPING.size): Promise<number> {
  let rearmed = 0;
  for (let i = 0; i < posts.length; i += batchSize) {
    const chunk = posts.slice(i, i + batchSize);
    if (await rearm(queue, postBatchJobId(chunk), () => enqueuePosts(queue, chunk, batchSize))) rearmed += chunk.length;
  }
  return rearmed;
}
