import type { Runtime } from '../runtime';
import { chargeBatches, enqueueFollowups, replyBatchInputs } from './followups';
import { stalePendingReplies } from '../replies/replies.repository';
import { repliesBatchSizeOf } from './queues';
import { pruneIdempotencyKeys } from '../http/idempotency';
import { rearmJob, rearmPosts, rearmStripeEvent } from './rearm';
import { chargeBatchJob, repliesBatchJob } from './registry';
import { CHARGE_PENDING, sqlStatuses } from '../orders/lifecycle';
import { createRefundsService } from '../refunds/refunds.service';
import { pruneFinishedDeliveries } from '../webhooks/deliveries.repository';
import { pruneInbox, staleInboxPosts } from '../ingest/inbox.repository';
import { staleStripeEvents } from '../webhooks/stripe-events.repository';
import { createReviewService } from '../review/review.service';
import { sweepWaitlists } from '../waitlist/sweep';

// A verified event is queued in the same request that stored it: one still unapplied after this
// long lost its job (the api died between the two, or Redis lost it). A shorter sweep delay wins.
const STRIPE_EVENT_STALE_S = 30;
const POST_BATCH = 500;
/** Posts re-armed per run at most; the next run goes on from the start. */
const POSTS_PER_RUN = 20_000;

/**
 * Periodic sweep, one worker process at a time (a Redis lock): expiries, and the work Redis may
 * have lost rebuilt from PostgreSQL (posts without outcome, orders mid-charge, pending replies,
 * Stripe events stored but not applied, refunds Stripe never answered), then old keys and webhook deliveries.
 */
export function startMaintenance(rt: Runtime, everyMs = 30_000): { stop(): void; runOnce(): Promise<void> } {
  const lockKey = `${rt.config.QUEUE_PREFIX}:maintenance:lock`;
  const log = rt.log.child({ task: 'maintenance' });
  const refunds = createRefundsService({ db: rt.db, payments: rt.payments, log, enqueue: (f) => enqueueFollowups(rt.queues, f), waitlist: rt.waitlist });
  const staleAfterS = rt.config.SWEEP_STALE_AFTER_SECONDS;
  const review = createReviewService({ db: rt.db, publicBaseUrl: rt.config.PUBLIC_BASE_URL, enqueue: (f) => enqueueFollowups(rt.queues, f) });

  /** Inbox posts that have an outcome are done; those without one past the delay lost their job. */
  async function sweepPosts(): Promise<number> {
    let pruned = 0;
    for (let round = 0; round < POSTS_PER_RUN / (POST_BATCH * 4); round++) {
      const n = await pruneInbox(rt.db, POST_BATCH * 4);
      pruned += n;
      if (n < POST_BATCH * 4) break;
    }
    if (pruned) log.debug({ posts: pruned }, 'pruned inbox posts that have their outcome');
    let rearmed = 0;
    let after = '0';
    for (let seen = 0; seen < POSTS_PER_RUN; ) {
      const posts = await staleInboxPosts(rt.db, staleAfterS, POST_BATCH, after);
      if (!posts.length) break;
      rearmed += await rearmPosts(rt.queues.tweets, posts, rt.config.INGEST_BATCH_SIZE);
      seen += posts.length;
      after = posts[posts.length - 1]!.id;
      if (posts.length < POST_BATCH) break;
    }
    return rearmed;
  }

  async function runOnce(): Promise<void> {
    const got = await rt.redis.set(lockKey, String(process.pid), 'PX', Math.max(5_000, everyMs - 1_000), 'NX');
    if (!got) return;
    const { expired, followups: freed } = await rt.charging.expireStaleWithWork(new Date(), rt.config.SIGNUP_TTL_HOURS);
    if (expired.length) log.info({ orders: expired.length }, 'expired orders that were never completed');
    const reviewed = await review.expireWindows(new Date());
    if (reviewed.length) log.info({ orders: reviewed.length }, 'decided orders whose review window closed, as their rules say');
    // Units expiry freed went to the waitlists; sales that ended close theirs.
    const waitlists = await sweepWaitlists(rt.db, rt.waitlist);
    if (waitlists.ended) log.info({ orders: waitlists.ended }, 'ended waitlisted orders whose sale is over');
    if (waitlists.promoted) log.warn({ products: waitlists.promoted }, 'promoted waitlists that had free units');
    await enqueueFollowups(rt.queues, [...freed, ...waitlists.followups]);

    const posts = await sweepPosts();
    if (posts) log.warn({ posts }, 're-queued received posts that had no outcome (their job was lost)');

    const { rows } = await rt.db.query<{ id: string }>(
      `SELECT id FROM orders WHERE status IN (${sqlStatuses(CHARGE_PENDING)}) AND updated_at < clock_timestamp() - make_interval(secs => $1) ORDER BY id LIMIT 500`,
      [staleAfterS],
    );
    let rearmed = 0;
    // In batches, as the matcher hands them on; a batch whose job is still waiting or running is left alone.
    for (const batch of chargeBatches(rows.map((r) => r.id))) {
      if (await rearmJob(rt.queues.charges, chargeBatchJob, batch)) rearmed++;
    }
    // Pending replies in batches too: the same stale replies make the same jobs, left alone while they wait.
    const staleReplies = (await stalePendingReplies(rt.db, staleAfterS, 500)).map((r) => ({ replyId: r.id, replyKind: r.kind }));
    for (const batch of replyBatchInputs(staleReplies, repliesBatchSizeOf(rt.queues.replies))) {
      if (await rearmJob(rt.queues.replies, repliesBatchJob, batch)) rearmed++;
    }
    const events = await staleStripeEvents(rt.db, Math.min(STRIPE_EVENT_STALE_S, staleAfterS), 500);
    for (const ev of events) if (await rearmStripeEvent(rt.queues.stripeEvents, ev.id, ev.type)) rearmed++;
    // A refund whose Stripe call never answered is asked again with the same idempotency key.
    const retriedRefunds = await refunds.retryStale(staleAfterS);
    if (retriedRefunds) log.warn({ refunds: retriedRefunds }, 'asked Stripe again about refunds it never answered');
    if (rearmed) log.warn({ jobs: rearmed }, 're-armed jobs for unfinished orders, replies and Stripe events');
    await pruneIdempotencyKeys(rt.db);
    const pruned = await pruneFinishedDeliveries(rt.db, rt.config.WEBHOOK_DELIVERY_RETENTION_DAYS);
    if (pruned) log.info({ deliveries: pruned, retention_days: rt.config.WEBHOOK_DELIVERY_RETENTION_DAYS }, 'pruned old merchant webhook deliveries');
  }

  const timer = setInterval(() => void runOnce().catch((err) => log.error({ err: (err as Error).message }, 'maintenance failed')), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
