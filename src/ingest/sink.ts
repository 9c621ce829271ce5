import type { Queue } from 'bullmq';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { InboundPost } from '../x/x.port';
import { sleep } from './backoff';
import type { Cursor } from './cursor';
import { maxId } from './ids';
import { writeInbox } from './inbox.repository';

/** Posts per inbox statement and per enqueue (one round trip each). */
export const SINK_BATCH = 500;
/**
 * Posts already in the inbox but not yet queued that are kept in memory while Redis is away.
 * Beyond this the oldest are left to the maintenance sweep, which queues them from the inbox.
 */
const MAX_UNQUEUED = 50_000;

export function tweetJobId(postId: string): string {
  return `tweet-${postId}`;
}

/** Adds posts as `tweet-<id>` jobs: the same post from stream, backfill and sweep collapses into one job. */
export async function enqueuePosts(queue: Queue, posts: InboundPost[]): Promise<void> {
  if (!posts.length) return;
  await queue.addBulk(posts.map((post) => ({ name: 'post', data: post, opts: { jobId: tweetJobId(post.id) } })));
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
  streamed = 0;

  constructor(
    private readonly db: Db,
    private readonly queue: Queue,
    private readonly cursor: Cursor,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  push(post: InboundPost): void {
    this.pending.push(post);
    if (!this.writing) void this.write();
  }

  private async write(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length && !this.signal.aborted) {
        const batch = this.pending.splice(0, SINK_BATCH);
        try {
          await writeInbox(this.db, batch);
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
        this.handOn(batch);
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
          await enqueuePosts(this.queue, batch);
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

  /** Backfilled posts: into the inbox at once (throws so the backfill retries), then queued. */
  async enqueueNow(posts: InboundPost[]): Promise<void> {
    await writeInbox(this.db, posts);
    this.handOn(posts);
  }

  /** On stop: one bounded attempt to queue what is in the inbox but not queued yet (else the sweep does). */
  async flush(timeoutMs: number): Promise<void> {
    const rest = this.unqueued.splice(0);
    if (!rest.length) return;
    const work = (async () => {
      for (let i = 0; i < rest.length; i += SINK_BATCH) await enqueuePosts(this.queue, rest.slice(i, i + SINK_BATCH));
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
