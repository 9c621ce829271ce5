import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';

export const QUEUE_NAMES = {
  tweets: 'tweets',
  charges: 'charges',
  replies: 'replies',
  stripeEvents: 'stripe-events',
} as const;
export type QueueKey = keyof typeof QUEUE_NAMES;
export type Queues = Record<QueueKey, Queue>;

/** Completed jobs are kept briefly (ops can inspect them); failed ones much longer. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Every queue of the service is created here, so names, prefix and defaults agree everywhere. */
export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  // BullMQ's event stream is for listeners such as the queue UI; a short one costs less Redis.
  const make = (name: string) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS, streams: { events: { maxLen: 1000 } } });
  return {
    tweets: make(QUEUE_NAMES.tweets),
    charges: make(QUEUE_NAMES.charges),
    replies: make(QUEUE_NAMES.replies),
    stripeEvents: make(QUEUE_NAMES.stripeEvents),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
