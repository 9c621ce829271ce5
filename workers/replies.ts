import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../src/db/pool';
import type { Logger } from '../src/logger';
import { repliesJobSchema } from '../src/queue/payloads';
import {
  claimReplies, failPendingReplies, finishReplies, releaseReplyClaims, type ClaimedReply, type ReplyOutcome,
} from '../src/replies/replies.repository';
import { REPLY_PRIORITY, REPLY_TIER } from '../src/replies/templates';
import { XRateLimitedError, XRefusedError, type XRepliesPort } from '../src/x/x.port';
import { coverNoticesOverBudget } from './public-notices';
import { readReplyBudget, recordReplyBudget, takePost } from './reply-budget';
import { X_POSTS_PER_WINDOW } from '../src/replies/public-notices';

export interface RepliesDeps {
  db: Db;
  redis: Redis;
  x: XRepliesPort;
  prefix: string;
  log: Logger;
  /** Where the public product page lives (the aggregated notice links to it). */
  publicBaseUrl: string;
  onOutcome?: (outcome: 'posted' | 'refused' | 'rate_limited' | 'error') => void;
  onRateLimit?: (remaining: number, resetAt: number) => void;
}

/** What a batch did: replies posted or refused by this run, and those it found finished already. */
export interface RepliesJobResult {
  posted: number;
  refused: number;
  alreadyFinished: number;
}

/** Shared by every worker process: once X says wait, nobody posts until the window resets. */
const gateKey = (prefix: string) => `${prefix}:x:replies:until`;

// An attempt whose result we never learned (crash, timeout) holds the reply this long; then a
// retry looks on X for it before posting again.
const CLAIM_S = 30;
const GATE_CACHE_MS = 250;
// Calls to X one batch has in flight: enough that a batch is not one round trip per reply in a
// row, few enough that a 429 finds little already on its way.
const X_CALLS_IN_FLIGHT = 4;
// Held jobs wake up after the reset a little apart, by priority, so the due ones are promoted
// together and the highest goes first (BullMQ keeps a delayed job's priority, but only among
// jobs due at once): tier n wakes TIER_GAP_MS·(n-1) after the reset, spread within WAKE_SPREAD_MS.
const TIER_GAP_MS = 100;
const WAKE_SPREAD_MS = 60;
// How often batches other than notices look at whether notices need a public notice.
const NOTICE_CHECK_MS = 1000;

/** When a held job of this priority comes back after `until`. */
export function wakeAt(until: number, priority: number): number {
  return until + Math.max(0, priority - 1) * TIER_GAP_MS + Math.floor(Math.random() * WAKE_SPREAD_MS);
}

/** A job's priority (a batch carries replies of one priority); 0 when it has none. */
const priorityOf = (job: Job): number => job.priority || job.opts?.priority || 0;

/** How posting a batch's claimed replies ended. */
interface PostingRun {
  outcomes: ReplyOutcome[];
  /** Claimed but not posted: X said wait first (or an unknown error stopped the batch). */
  notPosted: string[];
  /** X's window reset, when it said wait (429 or remaining 0), or when this batch's share of the window is spent. */
  resetAt?: number;
  /** The window is spent for everyone (close the gate), not only down to the reserve this batch may not use. */
  windowSpent?: boolean;
  /** The first error whose result is unknown (a timeout, X down): the job is retried. */
  error?: Error;
}

/**
 * Queue `replies`: a `batch` job carries up to REPLIES_BATCH_SIZE replies (a job from before
 * batches, one). The gate is read once; the batch's replies are claimed in one statement (so two
 * runs never post one reply twice), posted to X a few at a time (one call per reply), and their
 * outcomes recorded in one statement. A reply whose earlier attempt has an unknown result is
 * looked up on X first. Paced by X's rate-limit headers: at remaining 0 or on 429 the batch stops
 * posting, gives back the claims it did not use, and a shared gate in Redis holds every reply job
 * (delayed, not retried) until the reset, so X is not called again before then.
 */
export function repliesProcessor(d: RepliesDeps) {
  // The gate is read at most every GATE_CACHE_MS per process: a sold-out wave is thousands of
  // replies, and another process closing the gate is seen that much later at worst (X's 429
  // then closes it here too).
  let gate = { until: 0, readAt: 0 };
  const closeGate = async (resetAt: number): Promise<number> => {
    const until = Math.max(Date.now() + 1000, resetAt + 500);
    await d.redis.set(gateKey(d.prefix), String(until), 'PX', until - Date.now());
    // Nothing left until the reset (a 429 carries no limit: the last one X gave, else its documented one).
    const known = await readReplyBudget(d.redis, d.prefix);
    await recordReplyBudget(d.redis, d.prefix, { limit: known?.limit ?? X_POSTS_PER_WINDOW, remaining: 0, resetAt });
    gate = { until, readAt: Date.now() };
    return until;
  };
  const waitFor = async (job: Job, token: string | undefined, until: number): Promise<never> => {
    await job.moveToDelayed(wakeAt(until, priorityOf(job)), token);
    throw new DelayedError();
  };
  /**
   * Whether this job looks at the notices first: a batch of notices always; any other batch at
   * most once per NOTICE_CHECK_MS across workers, so receipts do not spend the budget a public
   * notice needs while a sold-out crowd waits behind them.
   */
  const noticeCheckDue = async (job: Job): Promise<boolean> => {
    const priority = priorityOf(job);
    if (priority >= REPLY_TIER.notice) return true;
    if (priority === 0) return false;
    return (await d.redis.set(`${d.prefix}:x:replies:notice-check`, '1', 'PX', NOTICE_CHECK_MS, 'NX')) === 'OK';
  };
  const gateUntil = async (): Promise<number> => {
    if (Date.now() - gate.readAt >= GATE_CACHE_MS) gate = { until: Number(await d.redis.get(gateKey(d.prefix))), readAt: Date.now() };
    return gate.until;
  };

  /** One reply to X: a result to record, or a rate-limit / unknown error for the batch to act on. */
  async function postOne(reply: ClaimedReply, log: Logger): Promise<ReplyOutcome> {
    if (reply.previous_attempts > 0) {
      const existing = await d.x.findOwnReply(reply.in_reply_to_tweet_id);
      if (existing) {
        log.info({ reply_id: reply.id, x_reply_id: existing }, 'reply was already on X; recorded it');
        return { id: reply.id, status: 'posted', xReplyId: existing };
      }
    }
    // The window's last posts are kept for what a buyer must act on (and public notices).
    const keepReserve = REPLY_PRIORITY[reply.kind] > REPLY_TIER.actionNeeded;
    const turn = await takePost(d.redis, d.prefix, keepReserve);
    if (!turn.ok) throw new NoPostLeft(turn.resetAt, !keepReserve);
    try {
      const posted = await d.x.postReply(reply.in_reply_to_tweet_id, reply.text);
      d.onOutcome?.('posted');
      log.info({ reply_id: reply.id, order_id: reply.order_id, post_id: reply.in_reply_to_tweet_id, x_reply_id: posted.id, kind: reply.kind }, 'reply posted');
      if (posted.rateLimit) {
        d.onRateLimit?.(posted.rateLimit.remaining, posted.rateLimit.resetAt);
        await recordReplyBudget(d.redis, d.prefix, posted.rateLimit);
        if (posted.rateLimit.remaining <= 0) throw new WindowSpent(reply.id, posted.id, posted.rateLimit.resetAt);
      }
      return { id: reply.id, status: 'posted', xReplyId: posted.id };
    } catch (err) {
      if (!(err instanceof XRefusedError)) throw err;
      d.onOutcome?.('refused');
      log.warn({ reply_id: reply.id, post_id: reply.in_reply_to_tweet_id, status: err.status, reason: err.reason }, 'X refused the reply; recorded, not retried');
      return { id: reply.id, status: 'refused', error: `${err.status} ${err.reason}: ${err.message}`.slice(0, 500) };
    }
  }

  /** The claimed replies to X, X_CALLS_IN_FLIGHT at a time; the first "wait" or unknown error stops new calls. */
  async function postClaimed(claimed: ClaimedReply[], log: Logger): Promise<PostingRun> {
    const run: PostingRun = { outcomes: [], notPosted: [] };
    let next = 0;
    const stopped = () => run.resetAt !== undefined || run.error !== undefined;
    const lane = async () => {
      while (!stopped() && next < claimed.length) {
        const reply = claimed[next++]!;
        try {
          run.outcomes.push(await postOne(reply, log));
        } catch (err) {
          if (err instanceof WindowSpent) {
            run.outcomes.push({ id: err.replyId, status: 'posted', xReplyId: err.xReplyId });
            run.resetAt = Math.max(run.resetAt ?? 0, err.resetAt);
            run.windowSpent = true;
          } else if (err instanceof NoPostLeft) {
            run.notPosted.push(reply.id);
            run.resetAt = Math.max(run.resetAt ?? 0, err.resetAt);
            run.windowSpent ||= err.windowSpent;
          } else if (err instanceof XRateLimitedError) {
            d.onOutcome?.('rate_limited');
            run.notPosted.push(reply.id);
            run.resetAt = Math.max(run.resetAt ?? 0, err.resetAt);
            run.windowSpent = true;
          } else {
            // The result is unknown (a timeout may have posted it): the claim stays, so the
            // retry looks on X before posting again.
            d.onOutcome?.('error');
            log.warn({ reply_id: reply.id, err: (err as Error).message }, 'reply attempt failed; retried after its claim lapses');
            run.error ??= err as Error;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(X_CALLS_IN_FLIGHT, claimed.length) }, lane));
    run.notPosted.push(...claimed.slice(next).map((r) => r.id));
    return run;
  }

  return async (job: Job, token?: string): Promise<RepliesJobResult> => {
    const parsed = repliesJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed replies payload');
    const until = await gateUntil();
    const log = d.log.child({ job_id: job.id });
    if (await noticeCheckDue(job)) {
      // If X's budget cannot post every notice waiting soon, public notices cover them before
      // this batch spends more of it (one post tells a product's whole crowd). With the gate
      // closed, notices are still covered by a product's notice already on X (no post needed).
      const cover = await coverNoticesOverBudget({ ...d, log, claimSeconds: CLAIM_S, canPost: until <= Date.now() });
      if (cover.resetAt !== undefined) return waitFor(job, token, await closeGate(cover.resetAt));
    }
    if (until > Date.now()) return waitFor(job, token, until);

    const replyIds = [...new Set(parsed.data.replyIds)];
    const { claimed, others } = await claimReplies(d.db, replyIds, CLAIM_S);
    if (!claimed.length && !others.length) throw new UnrecoverableError(`replies not found: ${replyIds.join(', ')}`.slice(0, 500));
    if (claimed.length + others.length < replyIds.length) log.warn({ replies: replyIds.length, found: claimed.length + others.length }, 'some replies of the batch do not exist; skipped');
    const heldElsewhere = others.filter((r) => r.status === 'pending').length;

    const run = claimed.length ? await postClaimed(claimed, log) : { outcomes: [], notPosted: [] };
    await finishReplies(d.db, run.outcomes);
    const result: RepliesJobResult = {
      posted: run.outcomes.filter((o) => o.status === 'posted').length,
      refused: run.outcomes.filter((o) => o.status === 'refused').length,
      alreadyFinished: others.length - heldElsewhere,
    };
    if (run.resetAt !== undefined) {
      const reset = run.windowSpent ? await closeGate(run.resetAt) : run.resetAt + 500;
      log.warn({ reset_at: new Date(run.resetAt).toISOString(), waiting: run.notPosted.length }, 'X said wait (429 or window spent); replies wait for the reset');
      if (!run.notPosted.length && !heldElsewhere) return result;
      // Not posted: given back, so the run after the reset posts them straight away.
      await releaseReplyClaims(d.db, run.notPosted);
      return waitFor(job, token, reset);
    }
    if (run.error) {
      await releaseReplyClaims(d.db, run.notPosted);
      throw run.error;
    }
    // Another attempt holds some: this job comes back once its claim has lapsed and takes what is left.
    if (heldElsewhere) return waitFor(job, token, Date.now() + CLAIM_S * 1000);
    return result;
  };
}

/** A reply went out and X said its window is now spent: recorded as posted, and the batch stops. */
class WindowSpent extends Error {
  constructor(readonly replyId: string, readonly xReplyId: string, readonly resetAt: number) {
    super('X reply window spent');
  }
}

/** No post of X's window is left for this reply (counted across workers before calling X). */
class NoPostLeft extends Error {
  constructor(readonly resetAt: number, readonly windowSpent: boolean) {
    super('no post of the X window left');
  }
}

/** After the last attempt, each reply of the job still pending keeps a recorded reason instead. */
export async function recordReplyGaveUp(db: Db, job: Job | undefined, err: Error): Promise<void> {
  const parsed = repliesJobSchema.safeParse(job?.data);
  if (!parsed.success || !job) return;
  if (job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError)) return;
  await failPendingReplies(db, parsed.data.replyIds, err.message.slice(0, 500));
}
