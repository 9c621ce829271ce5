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

/** Replies a `replies` batch job carries when the deployment does not say (REPLIES_BATCH_SIZE). */
export const DEFAULT_REPLIES_BATCH_SIZE = 50;
// Kept with the queue rather than passed by every producer: whoever holds the queues (a request,
// a processor, the sweep) batches replies as the deployment configured.
const repliesBatchSizes = new WeakMap<Queue, number>();
/** How many replies one job on this `replies` queue carries at most. */
export const repliesBatchSizeOf = (replies: Queue): number => repliesBatchSizes.get(replies) ?? DEFAULT_REPLIES_BATCH_SIZE;

/** Every queue of the service is created here, so names, prefix and defaults agree everywhere. */
export function createQueues(connection: ConnectionOptions, prefix: string, settings: { repliesBatchSize?: number } = {}): Queues {
  // BullMQ's event stream is for listeners such as the queue UI; a short one costs less Redis.
  const make = (name: string) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS, streams: { events: { maxLen: 1000 } } });
  const queues = {
    tweets: make(QUEUE_NAMES.tweets),
    charges: make(QUEUE_NAMES.charges),
    replies: make(QUEUE_NAMES.replies),
    stripeEvents: make(QUEUE_NAMES.stripeEvents),
  };
  if (settings.repliesBatchSize) repliesBatchSizes.set(queues.replies, settings.repliesBatchSize);
  return queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
