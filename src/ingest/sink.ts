import type { Queue } from 'bullmq';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { InboundPost } from '../x/x.port';
import { sleep } from './backoff';
import type { Cursor } from './cursor';
import { maxId } from './ids';
import { writeInbox } from './inbox.repository';
import { DEFAULT_GROUPING, type Grouping } from './batches';
import { addJobs, postBatchJob } from '../queue/registry';

/** Posts per inbox statement and per hand-off (one round trip each; a hand-off is one or more batch jobs). */
export const SINK_BATCH = 500;
/**
 * Posts already in the inbox but not yet queued that are kept in memory while Redis is away.
 * Beyond this the oldest are left to the maintenance sweep, which queues them from the inbox.
 */
const MAX_UNQUEUED = 50_000;

/**
 * Hands posts on as `batch` jobs of up to batchSize posts each, in one round trip; the matcher
 * decides each batch in one transaction. Exactly-once per post is PostgreSQL's (one outcome per
 * post), so a post that reaches the queue twice in different batches is decided once.
 */
export async function enqueuePosts(queue: Queue, posts: InboundPost[], batchSize = DEFAULT_GROUPING.size): Promise<void> {
  if (!posts.length) return;
  const chunks = [];
  for (let i = 0; i < posts.length; i += batchSize) chunks.push(posts.slice(i, i + batchSize));
  await addJobs(queue, postBatchJob, chunks);
}

/**
 * Where posts go. Each batch is written to the inbox (PostgreSQL) first; only then does the
 * cursor move past it (never while a backfill is open, so a successor that takes over mid-gap
 * backfills from the gap's start) and is it queued. Queueing runs on its own: Redis being away
 * never holds up the inbox, and a post whose job Redis lost is queued again by the sweep.
 */
export class PostSink {
  private pending: InboundPost[] = [];
  private unqueued: InboundPost[] = [];
  private writing = false;
  private queueing = false;
  private seenMax: string | null = null;
  private openBackfills = 0;
  private leftToSweep = 0;
  private timer: NodeJS.Timeout | undefined;
  streamed = 0;

  constructor(
    private readonly db: Db,
    private readonly queue: Queue,
    private readonly cursor: Cursor,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly grouping: Grouping = DEFAULT_GROUPING,
  ) {}

  push(post: InboundPost): void {
    this.pending.push(post);
    if (this.writing) return;
    // A lone post waits a few milliseconds for company, so a burst goes on in full batches.
    if (this.pending.length >= this.grouping.size || this.grouping.waitMs === 0) void this.write();
    else this.timer ??= setTimeout(() => void this.write(), this.grouping.waitMs).unref();
  }

  private async write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length && !this.signal.aborted) {
        const batch = this.pending.splice(0, SINK_BATCH);
        let fresh: InboundPost[];
        try {
          fresh = await writeInbox(this.db, batch);
        } catch (err) {
          // PostgreSQL trouble: keep the batch and retry; the cursor has not moved past it.
          this.log.warn({ err: (err as Error).message, posts: batch.length }, 'ingest: inbox write failed, retrying in 1000 ms');
          this.pending.unshift(...batch);
          await sleep(1000, this.signal);
          continue;
        }
        this.streamed += batch.length;
        for (const p of batch) this.seenMax = maxId(this.seenMax, p.id);
        if (!this.openBackfills && this.seenMax) await this.advance(this.seenMax);
        this.handOn(fresh);
      }
    } finally {
      this.writing = false;
    }
  }

  /** Posts now in the inbox go to the queue, in the order they came. */
  private handOn(posts: InboundPost[]): void {
    this.unqueued.push(...posts);
    const over = this.unqueued.length - MAX_UNQUEUED;
    if (over > 0) {
      this.unqueued.splice(0, over);
      if (this.leftToSweep === 0) this.log.warn({ posts: over }, 'ingest: queue unreachable for long; posts wait in the inbox for the maintenance sweep');
      this.leftToSweep += over;
    }
    if (!this.queueing) void this.enqueueLoop();
  }

  private async enqueueLoop(): Promise<void> {
    this.queueing = true;
    try {
      while (this.unqueued.length && !this.signal.aborted) {
        const batch = this.unqueued.splice(0, SINK_BATCH);
        try {
          await enqueuePosts(this.queue, batch, this.grouping.size);
          this.leftToSweep = 0;
        } catch (err) {
          // Redis trouble: the posts are safe in the inbox; keep trying while they are still here.
          this.log.warn({ err: (err as Error).message, posts: batch.length }, 'ingest: enqueue failed, retrying in 1000 ms');
          this.unqueued.unshift(...batch);
          await sleep(1000, this.signal);
        }
      }
    } finally {
      this.queueing = false;
    }
  }

  private async advance(id: string): Promise<void> {
    try {
      await this.cursor.advance(id);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'ingest: cursor update failed');
    }
  }

  /**
   * Backfilled posts: into the inbox at once (throws so the backfill retries), then queued. Only
   * those new to the inbox: one the stream brought is queued already (or, if Redis lost it, the
   * sweep queues it again).
   */
  async enqueueNow(posts: InboundPost[]): Promise<void> {
    this.handOn(await writeInbox(this.db, posts));
  }

  /** On stop: one bounded attempt to queue what is in the inbox but not queued yet (else the sweep does). */
  async flush(timeoutMs: number): Promise<void> {
    const rest = this.unqueued.splice(0);
    if (!rest.length) return;
    const work = (async () => {
      for (let i = 0; i < rest.length; i += SINK_BATCH) await enqueuePosts(this.queue, rest.slice(i, i + SINK_BATCH), this.grouping.size);
    })().catch((err) => this.log.warn({ err: (err as Error).message, posts: rest.length }, 'ingest: could not queue posts on stop; the sweep will'));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([work, late]);
    clearTimeout(timer);
  }

  openBackfill(): void {
    this.openBackfills++;
  }

  /** A backfill finished (ok: every post after its since_id is in the inbox). */
  async closeBackfill(ok: boolean, highest: string | null): Promise<void> {
    this.openBackfills = Math.max(0, this.openBackfills - 1);
    if (ok) this.seenMax = maxId(this.seenMax, highest);
    if (ok && !this.openBackfills && this.seenMax) await this.advance(this.seenMax);
  }
}
