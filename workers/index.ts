import { Worker, type WorkerOptions } from 'bullmq';
import type { Runtime } from '../src/runtime';
import { createRedis } from '../src/redis';
import { QUEUE_NAMES, type QueueKey } from '../src/queue/queues';
import { chargeBatchJob, postBatchJob, repliesBatchJob, singleChargeJob, singlePostJob, stripeEventJob } from '../src/queue/registry';
import { checkHandlers, handle, routeByName, type JobHandler, type JobProcessor } from '../src/queue/job-router';
import type { RunningWorkers, WorkerHooks } from '../src/queue/worker-role';
import { startMaintenance } from '../src/queue/maintenance';
import { startMatchingFirst } from '../src/queue/matching-first';
import { timedCharging } from '../src/ops/charge-hook';
import { startDispatcher } from '../src/webhooks/dispatcher';
import { createSecretBox } from '../src/webhooks/secret-box';
import { createRefundsService } from '../src/refunds/refunds.service';
import { enqueueFollowups } from '../src/queue/followups';
import { createRateBudget, stripeLimiter } from '../src/payments/rate-budget';
import { tweetsProcessor } from './tweets';
import { chargesProcessor } from './charges';
import { recordReplyGaveUp, repliesProcessor } from './replies';
import { stripeEventsProcessor } from './stripe-events';

/**
 * The worker role's composition root: builds each processor, maps every job name of the
 * registry to one, checks that mapping before any Worker starts, and runs one Worker per queue.
 */

async function shopUserId(rt: Runtime): Promise<string | null> {
  try {
    return await rt.x.userIdOf(rt.config.X_SHOP_USERNAME);
  } catch (err) {
    rt.log.warn({ err: (err as Error).message }, 'could not look up the shop account id; matching by username only');
    return null;
  }
}

/** Which processor runs each job name (a processor that reads the name itself takes several). */
export function jobHandlers(p: Record<QueueKey, JobProcessor>): JobHandler[] {
  return [
    ...handle(postBatchJob, p.tweets),
    ...handle(singlePostJob, p.tweets),
    ...handle(chargeBatchJob, p.charges),
    ...handle(singleChargeJob, p.charges),
    ...handle(repliesBatchJob, p.replies),
    ...handle(stripeEventJob, p.stripeEvents),
  ];
}

async function buildProcessors(rt: Runtime, hooks: WorkerHooks): Promise<Record<QueueKey, JobProcessor>> {
  const { config, log } = rt;
  const matching = rt.matching(await shopUserId(rt));
  const refunds = createRefundsService({ db: rt.db, payments: rt.payments, log: log.child({ queue: 'tweets' }), enqueue: (f) => enqueueFollowups(rt.queues, f), waitlist: rt.waitlist });
  return {
    tweets: tweetsProcessor({ matching, refunds, queues: rt.queues, log: log.child({ queue: 'tweets' }), onOutcome: hooks.onPostOutcome }),
    charges: chargesProcessor({
      charging: hooks.onCharge ? timedCharging(rt.charging, hooks.onCharge) : rt.charging, queues: rt.queues, log: log.child({ queue: 'charges' }),
      // Global across every worker process: Stripe's budget is per account. Each Stripe call takes a
      // unit (a job carries a batch of orders, so BullMQ's per-job limiter cannot count them).
      // Windows of 100 ms: a 1 s window lets a whole second's budget start at once, and two such
      // bursts can fall in one of Stripe's seconds (seen as 429s once a backlog resumed at once).
      budget: createRateBudget(rt.redis, `${config.QUEUE_PREFIX}:stripe-budget`, stripeLimiter(config.STRIPE_OPS_PER_SECOND)),
    }),
    replies: repliesProcessor({ db: rt.db, redis: rt.redis, x: rt.xReplies, prefix: config.QUEUE_PREFIX, log: log.child({ queue: 'replies' }), publicBaseUrl: config.PUBLIC_BASE_URL, onOutcome: hooks.onReplyOutcome, onRateLimit: hooks.onReplyRateLimit }),
    stripeEvents: stripeEventsProcessor({ db: rt.db, charging: rt.charging, buyers: rt.buyers, payments: rt.payments, queues: rt.queues, log: log.child({ queue: 'stripe-events' }), waitlist: rt.waitlist }),
  };
}

/** Starts one BullMQ Worker per queue plus the maintenance sweep; returns a stopper that drains them. */
export async function startWorkers(rt: Runtime, hooks: WorkerHooks = {}): Promise<RunningWorkers & { workers: Worker[] }> {
  const { config, log } = rt;
  // Before any Worker takes a job: a name with no processor, or two, stops the role here.
  const handlers = jobHandlers(await buildProcessors(rt, hooks));
  checkHandlers(handlers);
  // BullMQ leaves a connection it was handed open on close(): keep them to close ourselves.
  const connections: ReturnType<typeof createRedis>[] = [];
  const connection = () => {
    const c = createRedis(config.REDIS_URL, { connectionName: 'hc-worker' });
    c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error (worker)'));
    connections.push(c);
    return c;
  };
  // A worker that dies mid-job loses its lock after JOB_LOCK_MS; the job is then run again (stalled).
  const base = { prefix: config.QUEUE_PREFIX, autorun: true, lockDuration: config.JOB_LOCK_MS, stalledInterval: config.JOB_LOCK_MS };
  const make = (name: string, processor: JobProcessor, opts: Partial<WorkerOptions> = {}) =>
    new Worker(name, processor, { ...base, connection: connection(), concurrency: 8, ...opts });
  const concurrency: Record<QueueKey, number> = {
    tweets: config.TWEETS_CONCURRENCY, charges: config.CHARGES_CONCURRENCY, replies: config.REPLIES_CONCURRENCY, stripeEvents: 8,
  };
  const workers = (Object.keys(QUEUE_NAMES) as QueueKey[]).map((queue) =>
    make(QUEUE_NAMES[queue], routeByName(queue, handlers), { concurrency: concurrency[queue] }));
  for (const w of workers) {
    w.on('failed', (job, err) => {
      log.warn({ queue: w.name, job_id: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed');
      if (w.name === QUEUE_NAMES.replies) void recordReplyGaveUp(rt.db, job, err).catch(() => undefined);
    });
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
    // Retries and delayed jobs would count their back-off as waiting: only first, undelayed starts.
    if (hooks.onJobStarted) w.on('active', (job) => {
      if (job.attemptsMade === 0 && !job.opts.delay) hooks.onJobStarted!(w.name, Date.now() - job.timestamp);
    });
  }
  const maintenance = startMaintenance(rt, config.MAINTENANCE_INTERVAL_MS);
  const webhooks = startDispatcher({
    db: rt.db, box: createSecretBox(config.SIGNING_SECRET), policy: { production: config.NODE_ENV === 'production' }, log: log.child({ task: 'webhooks' }),
    onDelivery: hooks.onWebhookDelivery, onEndpointDisabled: hooks.onWebhookEndpointDisabled,
  });
  const matchingFirst = startMatchingFirst({
    // The setting counts posts; the queue holds batches of up to INGEST_BATCH_SIZE (full ones under load).
    tweets: rt.queues.tweets, backlog: Math.ceil(config.MATCHING_FIRST_BACKLOG / config.INGEST_BATCH_SIZE), log,
    workers: workers.filter((w) => w.name === QUEUE_NAMES.replies || w.name === QUEUE_NAMES.charges),
    // The merchant-event fan-out too: thousands of waitlisted orders' events can wait a few seconds.
    alsoPause: [webhooks],
  });
  log.info({ queues: workers.map((w) => w.name) }, 'workers started');
  return {
    workers,
    /**
     * close() waits for in-flight jobs with no bound of its own. Past drainMs the rest are
     * abandoned: their locks lapse and another worker takes them up (every job is idempotent).
     */
    async stop(drainMs = config.WORKER_DRAIN_TIMEOUT_MS) {
      maintenance.stop();
      matchingFirst.stop();
      let timer: NodeJS.Timeout | undefined;
      const drained = Promise.all([...workers.map((w) => w.close()), webhooks.stop()]).then(() => true);
      const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), drainMs)));
      const ok = await Promise.race([drained, late]);
      clearTimeout(timer);
      if (ok) {
        for (const c of connections) c.disconnect();
        return log.info('workers drained');
      }
      // close(true) cannot cut short a close() already waiting (BullMQ returns the same promise):
      // stop waiting instead; the process exits and the jobs' locks lapse.
      log.warn({ drainMs }, 'workers did not drain in time; remaining jobs will be retried after their lock expires');
    },
  };
}
