import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { IngestStatus } from '../ingest';
import type { WorkerHooks } from '../queue/worker-role';
import { ruleBudget } from '../ingest/rules';
import { activeHashtags } from '../products/products.repository';
import type { HashtagLimits } from '../products/hashtag-registry';

/** Job states worth a gauge: what piles up (waiting, delayed, failed) and what is in hand. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
const SCRAPE_TIMEOUT_MS = 2000;

function within<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('scrape source timed out')), SCRAPE_TIMEOUT_MS).unref())]);
}

/**
 * One registry per process. Each role registers what it can see: workers their outcomes,
 * ingest its stream, the api the queues (read from Redis) and the orders (read from PostgreSQL)
 * at scrape time, so those two are right whichever process does the work.
 */
export function createMetrics(log?: Logger) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hc_' });
  const registers = [registry];

  const postsHandled = new Counter({ name: 'hc_posts_handled_total', help: 'Posts the worker recorded an outcome for, by outcome and reason', labelNames: ['outcome', 'reason'], registers });
  const charges = new Counter({ name: 'hc_charges_total', help: 'Charge attempts by outcome (error = Stripe unavailable, retried)', labelNames: ['outcome'], registers });
  const chargeSeconds = new Histogram({
    name: 'hc_charge_duration_seconds', help: 'Duration of one charge attempt (order lock, Stripe call, settlement)', labelNames: ['outcome'], registers,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  });
  const replies = new Counter({ name: 'hc_replies_total', help: 'Reply attempts on X by outcome', labelNames: ['outcome'], registers });
  const xRemaining = new Gauge({ name: 'hc_x_rate_limit_remaining', help: 'Posts left in the current X rate-limit window (last reply seen)', registers });
  const xReset = new Gauge({ name: 'hc_x_rate_limit_reset_timestamp_seconds', help: 'When the X rate-limit window resets (epoch seconds)', registers });
  const queueWait = new Histogram({
    name: 'hc_queue_wait_seconds', help: 'Time a job waited from enqueue to its first start', labelNames: ['queue'], registers,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
  });

  const webhookDeliveries = new Counter({
    name: 'hc_webhook_deliveries_total', help: 'Merchant webhook delivery attempts by outcome (delivered, failed = retried later, gave_up = retry window over)', labelNames: ['outcome'], registers,
  });
  const webhookSeconds = new Histogram({
    name: 'hc_webhook_delivery_duration_seconds', help: "Time a merchant's endpoint took to answer one delivery attempt", labelNames: ['outcome'], registers,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const endpointsDisabled = new Counter({ name: 'hc_webhook_endpoints_disabled_total', help: 'Merchant webhook endpoints this process disabled after failing for the whole retry window', registers });

  const workerHooks: Required<Pick<WorkerHooks, 'onPostOutcome' | 'onReplyOutcome' | 'onReplyRateLimit' | 'onCharge' | 'onJobStarted' | 'onWebhookDelivery' | 'onWebhookEndpointDisabled'>> = {
    onPostOutcome: (outcome, reason) => postsHandled.inc({ outcome, reason: reason ?? 'none' }),
    onReplyOutcome: (outcome) => replies.inc({ outcome }),
    onReplyRateLimit: (remaining, resetAt) => {
      xRemaining.set(remaining);
      xReset.set(resetAt > 1e12 ? Math.round(resetAt / 1000) : resetAt);
    },
    onCharge: (outcome, seconds) => {
      charges.inc({ outcome });
      chargeSeconds.observe({ outcome }, seconds);
    },
    onJobStarted: (queue, waitedMs) => queueWait.observe({ queue }, waitedMs / 1000),
    onWebhookDelivery: (outcome, latencyMs) => {
      webhookDeliveries.inc({ outcome });
      webhookSeconds.observe({ outcome }, latencyMs / 1000);
    },
    onWebhookEndpointDisabled: () => endpointsDisabled.inc(),
  };

  /** Ingest counters are cumulative in status(); a Counter only goes up, so add the difference. */
  function watchIngest(status: () => IngestStatus): void {
    const seen = { streamed: 0, backfilled: 0, polled: 0, connects: 0, disconnects: 0 };
    const bump = (c: Counter, key: keyof typeof seen, value: number, labels?: Record<string, string>) => {
      if (value > seen[key] && labels) c.inc(labels, value - seen[key]);
      else if (value > seen[key]) c.inc(value - seen[key]);
      seen[key] = value;
    };
    new Counter({
      name: 'hc_posts_received_total', help: 'Posts the ingest enqueued, by source (stream, backfill, poll)', labelNames: ['source'], registers,
      collect() {
        const s = status();
        bump(this, 'streamed', s.streamed, { source: 'stream' });
        bump(this, 'backfilled', s.backfilled, { source: 'backfill' });
        bump(this, 'polled', s.polled, { source: 'poll' });
      },
    });
    new Counter({ name: 'hc_ingest_stream_connects_total', help: 'Stream connections opened', registers, collect() { bump(this, 'connects', status().connects); } });
    new Counter({ name: 'hc_ingest_stream_disconnects_total', help: 'Stream connections lost (each is followed by a reconnect and a backfill)', registers, collect() { bump(this, 'disconnects', status().disconnects); } });
    new Gauge({ name: 'hc_ingest_stream_connected', help: '1 when this instance holds a live X connection', registers, collect() { this.set(status().connected ? 1 : 0); } });
    new Gauge({ name: 'hc_ingest_active', help: '1 when this instance holds the ingest lease', registers, collect() { this.set(status().active ? 1 : 0); } });
  }

  /** Read from Redis at scrape time: every worker's progress shows, whichever process scrapes. */
  function watchQueues(queues: Queue[]): void {
    new Gauge({
      name: 'hc_queue_jobs', help: 'Jobs per queue and state', labelNames: ['queue', 'state'], registers,
      async collect() {
        this.reset();
        await Promise.all(queues.map(async (q) => {
          try {
            const counts = await within(q.getJobCounts(...JOB_STATES));
            for (const state of JOB_STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
          } catch (err) {
            log?.warn({ queue: q.name, err: (err as Error).message }, 'metrics: queue counts unavailable');
          }
        }));
      },
    });
    new Gauge({
      name: 'hc_queue_oldest_waiting_seconds', help: 'Age of the oldest job still waiting (0 when none)', labelNames: ['queue'], registers,
      async collect() {
        this.reset();
        await Promise.all(queues.map(async (q) => {
          try {
            const [oldest] = await within(q.getJobs(['wait'], 0, 0, true));
            this.set({ queue: q.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
          } catch {
            // Already logged by hc_queue_jobs when Redis is away.
          }
        }));
      },
    });
  }

  /** Orders by status, straight from the system of record; one indexed GROUP BY per scrape. */
  function watchOrders(db: Db): void {
    new Gauge({
      name: 'hc_orders', help: 'Orders by status', labelNames: ['status'], registers,
      async collect() {
        try {
          const { rows } = await within(db.query<{ status: string; n: string }>('SELECT status, count(*)::text AS n FROM orders GROUP BY status'));
          this.reset();
          for (const r of rows) this.set({ status: r.status }, Number(r.n));
        } catch (err) {
          log?.warn({ err: (err as Error).message }, 'metrics: order counts unavailable');
        }
      },
    });
  }

  /** Disabled merchant endpoints, from PostgreSQL at scrape time: right whichever worker disabled them. */
  function watchWebhooks(db: Db): void {
    new Gauge({
      name: 'hc_webhook_endpoints_disabled', help: 'Merchant webhook endpoints currently disabled (by the dispatcher or by their merchant)', registers,
      async collect() {
        try {
          const { rows } = await within(db.query<{ n: string }>('SELECT count(*)::text AS n FROM webhook_endpoints WHERE disabled'));
          this.set(Number(rows[0]?.n ?? 0));
        } catch (err) {
          log?.warn({ err: (err as Error).message }, 'metrics: webhook endpoint counts unavailable');
        }
      },
    });
  }

  /** X's stream rule budget as the api reckons it when it accepts a product (hashtag-registry.ts). */
  function watchRuleBudget(db: Db, limits: HashtagLimits): void {
    new Gauge({
      name: 'hc_stream_rule_budget', help: 'X stream rules: live hashtags, rules and rule characters they need, and the caps (rules_max, chars_max)', labelNames: ['measure'], registers,
      async collect() {
        try {
          const budget = ruleBudget(await within(activeHashtags(db)), limits.mention, limits.maxRules, limits.cancelShop ?? null);
          this.set({ measure: 'hashtags' }, budget.hashtags);
          this.set({ measure: 'rules_used' }, budget.rules);
          this.set({ measure: 'rules_max' }, budget.maxRules);
          this.set({ measure: 'chars_used' }, budget.chars);
          this.set({ measure: 'chars_max' }, budget.maxChars);
        } catch (err) {
          log?.warn({ err: (err as Error).message }, 'metrics: stream rule budget unavailable');
        }
      },
    });
  }

  return { registry, workerHooks, watchIngest, watchQueues, watchOrders, watchRuleBudget, watchWebhooks };
}

export type Metrics = ReturnType<typeof createMetrics>;
