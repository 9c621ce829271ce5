import type { Queue } from 'bullmq';
import type { Logger } from '../logger';
import type { InboundPost } from '../x/x.port';
import { sleep } from './backoff';
import type { Cursor } from './cursor';
import { maxId } from './ids';

export function tweetJobId(postId: string): string {
  return `tweet-${postId}`;
}

/** Adds posts as `tweet-<id>` jobs: the same post from stream and backfill collapses into one job. */
export async function enqueuePosts(queue: Queue, posts: InboundPost[]): Promise<void> {
  if (!posts.length) return;
  await queue.addBulk(posts.map((post) => ({ name: 'post', data: post, opts: { jobId: tweetJobId(post.id) } })));
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
  streamed = 0;

  constructor(
    private readonly queue: Queue,
    private readonly cursor: Cursor,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  push(post: InboundPost): void {
    this.pending.push(post);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length && !this.signal.aborted) {
        const batch = this.pending.splice(0, 500);
        try {
          await enqueuePosts(this.queue, batch);
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
    await enqueuePosts(this.queue, posts);
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
