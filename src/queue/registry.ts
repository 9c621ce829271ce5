import { STRIPE_EVENTS_HANDLED } from '../payments/stripe-event-translation';
import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { z } from 'zod';
import { compareIds } from '../ingest/ids';
import { REPLY_PRIORITY, type ReplyKind } from '../replies/templates';
import type { InboundPost } from '../x/x.port';
import { chargeJobSchema, chargesJobSchema, inboundPostSchema, postBatchJobSchema, repliesJobSchema, stripeEventJobSchema } from './payloads';
import { QUEUE_NAMES, type QueueKey } from './queues';

/**
 * The job registry: every kind of job the service queues, with its queue, the names it goes by,
 * its payload schema and how its deterministic id is made. Producers add jobs only through
 * `jobOf` / `addJobs`, so an id or a payload is spelled in one place; the worker role checks at
 * start-up that each name here has exactly one processor (see job-router.ts).
 */
export interface JobSpec<Data> {
  name: string;
  data: Data;
  opts: JobsOptions & { jobId: string };
}

export interface JobKind<Input, Schema extends z.ZodType> {
  /** What the registry calls it (errors, the start-up check). */
  kind: string;
  queue: QueueKey;
  names: readonly string[];
  /** Checked when a job is added and again when a worker takes it. */
  payload: Schema;
  build(input: Input): { name: string; data: z.input<Schema>; id: string; options?: JobsOptions };
}

function defineJob<Input, Schema extends z.ZodType>(kind: JobKind<Input, Schema>): JobKind<Input, Schema> {
  return kind;
}

/** BullMQ ids may not be all digits nor contain ':'. */
function jobId(...parts: string[]): string {
  return parts.join('-').replace(/:/g, '_');
}

/** The posts of a batch, by id: the same posts handed on twice (a redelivery) collapse into one job. */
export function postBatchJobId(posts: InboundPost[]): string {
  const ids = posts.map((p) => p.id).sort(compareIds);
  return `posts-${ids[0]}-${ids.at(-1)}-${ids.length}`;
}

/** A `batch` job on `tweets`: posts as ingest hands them on (or the sweep, again). */
export const postBatchJob = defineJob({
  kind: 'postBatch', queue: 'tweets', names: ['batch'], payload: postBatchJobSchema,
  build: (posts: InboundPost[]) => ({ name: 'batch', data: { posts }, id: postBatchJobId(posts) }),
});

/** A single-post `post` job, from before batches: no longer added, still processed if one is queued. */
export const singlePostJob = defineJob({
  kind: 'singlePost', queue: 'tweets', names: ['post'], payload: inboundPostSchema,
  build: (post: InboundPost) => ({ name: 'post', data: post, id: `tweet-${post.id}` }),
});

/** A batch's id from its (sorted) order ids: the same orders batched again make the same job. */
export const chargeBatchJob = defineJob({
  kind: 'chargeBatch', queue: 'charges', names: ['charges'], payload: chargesJobSchema,
  build: (orderIds: string[]) => ({
    name: 'charges', data: { orderIds }, id: jobId('charges', orderIds[0]!, orderIds[orderIds.length - 1]!, String(orderIds.length)),
  }),
});

/** A single-order `charge` job, from before batches: its id still names the order's work (followup dedup). */
export const singleChargeJob = defineJob({
  kind: 'singleCharge', queue: 'charges', names: ['charge'], payload: chargeJobSchema,
  build: (orderId: string) => ({ name: 'charge', data: { orderId }, id: jobId('charge', orderId) }),
});

// --- replies: `batch` jobs of reply ids, one priority each; a job named after a reply kind (one
// reply, from before batches) is still processed: the payload schema reads it as a batch of one.
export const REPLY_KINDS = Object.keys(REPLY_PRIORITY) as ReplyKind[];
/** The id a single-reply job had before batches; still what tells two follow-ups for one reply apart. */
export const replyJobId = (subject: string, kind: ReplyKind) => jobId('reply', subject, kind);
/**
 * A batch's id from its (sorted) reply ids: the same replies batched again make the same job. A
 * digest of every id, so two batches that share their first reply and their size stay two jobs.
 */
export const repliesJobId = (replyIds: string[]) =>
  jobId('replies', replyIds[0]!, String(replyIds.length), createHash('sha256').update(replyIds.join(',')).digest('hex').slice(0, 16));
export interface RepliesBatchInput { replyIds: string[]; priority: number }
export const repliesBatchJob = defineJob({
  kind: 'repliesBatch', queue: 'replies', names: ['batch', ...REPLY_KINDS], payload: repliesJobSchema,
  build: (b: RepliesBatchInput) => ({ name: 'batch', data: { replyIds: b.replyIds }, id: repliesJobId(b.replyIds), options: { priority: b.priority } }),
});
// --- end of replies

/** The Stripe event types the service acts on (the adapter's translation table): the job names. */
export { STRIPE_EVENTS_HANDLED };
export const stripeEventJob = defineJob({
  kind: 'stripeEvent', queue: 'stripeEvents', names: STRIPE_EVENTS_HANDLED, payload: stripeEventJobSchema,
  build: (ev: { eventId: string; type: string }) => ({ name: ev.type, data: { eventId: ev.eventId }, id: jobId('stripe', ev.eventId) }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of kinds whose inputs differ
export type AnyJobKind = JobKind<any, z.ZodType>;
export const JOB_KINDS: readonly AnyJobKind[] = [postBatchJob, singlePostJob, chargeBatchJob, singleChargeJob, repliesBatchJob, stripeEventJob];

export class JobRegistryError extends Error {
  override name = 'JobRegistryError';
}

/** The job as BullMQ takes it. A payload its own schema refuses is a defect of the producer: it throws here, not in a worker later. */
export function jobOf<Input, Schema extends z.ZodType>(kind: JobKind<Input, Schema>, input: Input): JobSpec<z.input<Schema>> {
  const { name, data, id, options } = kind.build(input);
  if (!kind.names.includes(name)) throw new JobRegistryError(`job ${kind.kind}: "${name}" is not one of its names (${kind.names.join(', ')})`);
  const checked = kind.payload.safeParse(data);
  if (!checked.success) throw new JobRegistryError(`job ${kind.kind}: invalid payload: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}`);
  return { name, data, opts: { ...options, jobId: id } };
}

/** A job's id alone (no payload check): for telling apart work that would make the same job. */
export function jobIdOf<Input, Schema extends z.ZodType>(kind: JobKind<Input, Schema>, input: Input): string {
  return kind.build(input).id;
}

function ensureQueue(queue: Queue, kind: AnyJobKind): void {
  if (queue.name !== QUEUE_NAMES[kind.queue]) throw new JobRegistryError(`job ${kind.kind} belongs on "${QUEUE_NAMES[kind.queue]}", not "${queue.name}"`);
}

/** Adds one job of a kind (idempotent by its id). */
export async function addJob<Input, Schema extends z.ZodType>(queue: Queue, kind: JobKind<Input, Schema>, input: Input): Promise<void> {
  ensureQueue(queue, kind);
  const job = jobOf(kind, input);
  await queue.add(job.name, job.data, job.opts);
}

/** Adds jobs of a kind in one round trip. */
export async function addJobs<Input, Schema extends z.ZodType>(queue: Queue, kind: JobKind<Input, Schema>, inputs: Input[]): Promise<void> {
  if (!inputs.length) return;
  ensureQueue(queue, kind);
  await queue.addBulk(inputs.map((input) => jobOf(kind, input)));
}

/** Every job name the registry knows on a queue. */
export function jobNames(queue: QueueKey): string[] {
  return JOB_KINDS.filter((k) => k.queue === queue).flatMap((k) => [...k.names]);
}
