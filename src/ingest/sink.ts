import type { Queue } from 'bullmq';
import type { Logger } from '../logger';
import type { InboundPost } from '../x/x.port';
import { sleep } from './backoff';
import type { Cursor } from './cursor';
import { maxId } from './ids';
import { batchJobId, DEFAULT_GROUPING, type Grouping } from './batches';

export function tweetJobId(postId: string): string {
  return `tweet-${postId}`;
}

/**
 * Hands posts on as `batch` jobs of up to batchSize posts each, in one round trip; the matcher
 * decides each batch in one transaction. Exactly-once per post is PostgreSQL's (one outcome per
 * post), so a post that reaches the queue twice in different batches is decided once.
 */
export async function enqueuePosts(queue: Queue, posts: InboundPost[], batchSize = DEFAULT_GROUPING.size): Promise<void> {
  if (!posts.length) return;
  const jobs = [];
  for (let i = 0; i < posts.length; i += batchSize) {
    const chunk = posts.slice(i, i + batchSize);
    jobs.push({ name: 'batch', data: { posts: chunk }, opts: { jobId: batchJobId(chunk) } });
  }
  await queue.addBulk(jobs);
}

/**
 * Where posts go. Stream posts are batched and enqueued in arrival order; the cursor moves
 * only past posts already enqueued, and not at all while a backfill is open (so a successor
 * that takes over mid-gap backfills from the gap's start, not from after it).
 */
export class PostSink {
  private pending: InboundPost[] = [];
  private draining = false;
  private seenMax: string | null = null;
  private openBackfills = 0;
  private timer: NodeJS.Timeout | undefined;
  streamed = 0;

  constructor(
    private readonly queue: Queue,
    private readonly cursor: Cursor,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly grouping: Grouping = DEFAULT_GROUPING,
  ) {}

  push(post: InboundPost): void {
    this.pending.push(post);
    if (this.draining) return;
    // A lone post waits a few milliseconds for company, so a burst goes on in full batches.
    if (this.pending.length >= this.grouping.size || this.grouping.waitMs === 0) void this.drain();
    else this.timer ??= setTimeout(() => void this.drain(), this.grouping.waitMs).unref();
  }

  private async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length && !this.signal.aborted) {
        const batch = this.pending.splice(0, 500);
        try {
          await enqueuePosts(this.queue, batch, this.grouping.size);
        } catch (err) {
          // Redis trouble: keep the batch and retry; the cursor has not moved past it.
          this.log.warn({ err: (err as Error).message, posts: batch.length }, 'ingest: enqueue failed, retrying in 1000 ms');
          this.pending.unshift(...batch);
          await sleep(1000, this.signal);
          continue;
        }
        this.streamed += batch.length;
        for (const p of batch) this.seenMax = maxId(this.seenMax, p.id);
        if (!this.openBackfills && this.seenMax) await this.advance(this.seenMax);
      }
    } finally {
      this.draining = false;
    }
  }

  private async advance(id: string): Promise<void> {
    try {
      await this.cursor.advance(id);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'ingest: cursor update failed');
    }
  }

  /** Enqueues backfilled posts at once; throws so the backfill retries. */
  async enqueueNow(posts: InboundPost[]): Promise<void> {
    await enqueuePosts(this.queue, posts, this.grouping.size);
  }

  openBackfill(): void {
    this.openBackfills++;
  }

  /** A backfill finished (ok: every post after its since_id is enqueued). */
  async closeBackfill(ok: boolean, highest: string | null): Promise<void> {
    this.openBackfills = Math.max(0, this.openBackfills - 1);
    if (ok) this.seenMax = maxId(this.seenMax, highest);
    if (ok && !this.openBackfills && this.seenMax) await this.advance(this.seenMax);
  }
}
