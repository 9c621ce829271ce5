import type { Queue } from 'bullmq';
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
