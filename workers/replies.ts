import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../src/db/pool';
import type { Logger } from '../src/logger';
import { replyJobSchema } from '../src/queue/payloads';
import { claimReply, findReply, finishReply, releaseReplyClaim } from '../src/replies/replies.repository';
import { XRateLimitedError, XRefusedError, type XRepliesPort } from '../src/x/x.port';

export interface RepliesDeps {
  db: Db;
  redis: Redis;
  x: XRepliesPort;
  prefix: string;
  log: Logger;
  onOutcome?: (outcome: 'posted' | 'refused' | 'rate_limited' | 'error') => void;
  onRateLimit?: (remaining: number, resetAt: number) => void;
}

/** Shared by every worker process: once X says wait, nobody posts until the window resets. */
const gateKey = (prefix: string) => `${prefix}:x:replies:until`;

// An attempt whose result we never learned (crash, timeout) holds the reply this long; then a
// retry looks on X for it before posting again.
const CLAIM_S = 30;
const GATE_CACHE_MS = 250;

/**
 * Queue `replies`. Idempotent: a reply is claimed in PostgreSQL before it is posted (so two
 * runs of one job never post twice), the posted id is recorded, and a reply whose earlier
 * attempt has an unknown result is looked up on X first. Paced by X's rate-limit headers: at
 * remaining 0 or on 429 a shared gate in Redis holds every reply job (delayed, not retried)
 * until the reset, so X is not called again before then.
 */
export function repliesProcessor(d: RepliesDeps) {
  // The gate is read at most every GATE_CACHE_MS per process: a sold-out wave is thousands of
  // replies, and another process closing the gate is seen that much later at worst (X's 429
  // then closes it here too).
  let gate = { until: 0, readAt: 0 };
  const closeGate = async (resetAt: number): Promise<number> => {
    const until = Math.max(Date.now() + 1000, resetAt + 500);
    await d.redis.set(gateKey(d.prefix), String(until), 'PX', until - Date.now());
    gate = { until, readAt: Date.now() };
    return until;
  };
  const waitFor = async (job: Job, token: string | undefined, until: number): Promise<never> => {
    // Spread the wake-ups a little so the reset does not meet a thundering herd.
    await job.moveToDelayed(until + Math.floor(Math.random() * 250), token);
    throw new DelayedError();
  };

  const gateUntil = async (): Promise<number> => {
    if (Date.now() - gate.readAt >= GATE_CACHE_MS) gate = { until: Number(await d.redis.get(gateKey(d.prefix))), readAt: Date.now() };
    return gate.until;
  };

  return async (job: Job, token?: string): Promise<{ status: string; xReplyId?: string }> => {
    const parsed = replyJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed reply payload');
    const until = await gateUntil();
    if (until > Date.now()) return waitFor(job, token, until);

    const reply = await claimReply(d.db, parsed.data.replyId, CLAIM_S);
    if (!reply) {
      const current = await findReply(d.db, parsed.data.replyId);
      if (!current) throw new UnrecoverableError(`reply ${parsed.data.replyId} not found`);
      if (current.status !== 'pending') return { status: current.status, xReplyId: current.x_reply_id ?? undefined };
      return waitFor(job, token, Date.now() + CLAIM_S * 1000);
    }
    const log = d.log.child({ reply_id: reply.id, order_id: reply.order_id, post_id: reply.in_reply_to_tweet_id, job_id: job.id });
    try {
      if (reply.previous_attempts > 0) {
        const existing = await d.x.findOwnReply(reply.in_reply_to_tweet_id);
        if (existing) {
          await finishReply(d.db, reply.id, { status: 'posted', xReplyId: existing });
          log.info({ x_reply_id: existing }, 'reply was already on X; recorded it');
          return { status: 'posted', xReplyId: existing };
        }
      }
      const posted = await d.x.postReply(reply.in_reply_to_tweet_id, reply.text);
      await finishReply(d.db, reply.id, { status: 'posted', xReplyId: posted.id });
      d.onOutcome?.('posted');
      log.info({ x_reply_id: posted.id, kind: reply.kind }, 'reply posted');
      if (posted.rateLimit) {
        d.onRateLimit?.(posted.rateLimit.remaining, posted.rateLimit.resetAt);
        if (posted.rateLimit.remaining <= 0) {
          await closeGate(posted.rateLimit.resetAt);
          log.warn({ reset_at: new Date(posted.rateLimit.resetAt).toISOString() }, 'X reply window spent; replies wait for the reset');
        }
      }
      return { status: 'posted', xReplyId: posted.id };
    } catch (err) {
      if (err instanceof XRateLimitedError) {
        // Not posted: release the claim so the retry after the reset posts straight away.
        await releaseReplyClaim(d.db, reply.id);
        log.warn({ reset_at: new Date(err.resetAt).toISOString() }, 'X answered 429; replies wait for the reset');
        d.onOutcome?.('rate_limited');
        return waitFor(job, token, await closeGate(err.resetAt));
      }
      if (err instanceof XRefusedError) {
        await finishReply(d.db, reply.id, { status: 'refused', error: `${err.status} ${err.reason}: ${err.message}`.slice(0, 500) });
        d.onOutcome?.('refused');
        log.warn({ status: err.status, reason: err.reason }, 'X refused the reply; recorded, not retried');
        return { status: 'refused' };
      }
      d.onOutcome?.('error');
      throw err;
    }
  };
}

/** After the last attempt, the reply keeps a recorded reason instead of staying pending. */
export async function recordReplyGaveUp(db: Db, job: Job | undefined, err: Error): Promise<void> {
  const parsed = replyJobSchema.safeParse(job?.data);
  if (!parsed.success || !job) return;
  if (job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError)) return;
  await finishReply(db, parsed.data.replyId, { status: 'failed', error: err.message.slice(0, 500) });
}
