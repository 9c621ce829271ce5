import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import { runBaseline, type BaselineResult } from './baseline';
import { startBenchStack, REDIS_URL, type BenchStack } from './stack';
import { startProcSampler, startQueueSampler, latencies, spans, round, pgCounters, perPost, redisCalls, topPerPost, seqScans, fairness, serviceCpuMsPerPost, type ProcReport } from './measure';
import { checkInvariants, type Invariants } from './invariants';
import { setupShop, Poster, drained, emulatorStats, emulatorSummary, stripeConfig, sleep } from './driver';
import { loadConfig } from '../src/config';
import { redisLossDrive, REDIS_LOSS_ENV } from './redis-loss';

/**
 * npm run bench -- --scenario <steady|saturate|flash|baseline|real-limits|redis-loss> [--duration S] [--rate N]
 *   [--posts N] [--inventory N] [--buyers N] [--quick] [--env KEY=VALUE ...]
 * Writes bench/results/<scenario>-<timestamp>.json and prints the same JSON as the last line.
 */
const SCENARIOS = ['steady', 'saturate', 'flash', 'baseline', 'real-limits', 'redis-loss'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Args { scenario: Scenario; duration?: number; rate?: number; posts?: number; inventory?: number; buyers?: number; quick: boolean; env: Record<string, string> }

function parseArgs(argv: string[]): Args {
  const a: Args = { scenario: 'steady', quick: false, env: {} };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const num = () => {
      const n = Number(v());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${k} must be a positive number`);
      return n;
    };
    if (k === '--scenario') a.scenario = v() as Scenario;
    else if (k === '--duration') a.duration = num();
    else if (k === '--rate') a.rate = num();
    else if (k === '--posts') a.posts = Math.round(num());
    else if (k === '--inventory') a.inventory = Math.round(num());
    else if (k === '--buyers') a.buyers = Math.round(num());
    else if (k === '--quick') a.quick = true;
    else if (k === '--env') {
      const [key, ...rest] = v().split('=');
      a.env[key!] = rest.join('=');
    } else throw new Error(`unknown option ${k}`);
  }
  if (!SCENARIOS.includes(a.scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}`);
  return a;
}

function machine() {
  const free = (() => {
    try {
      return execSync('free -g').toString().trim();
    } catch {
      return null;
    }
  })();
  return { nproc: os.availableParallelism(), cpu_model: os.cpus()[0]?.model ?? null, mem_total_gb: round(os.totalmem() / 2 ** 30, 1), free_g: free, node: process.version, platform: `${os.type()} ${os.release()}` };
}

type Drive = (s: BenchStack, a: Args, begin: () => Promise<void>) => Promise<{ sent: number; postsPerS: (sp: Record<string, number | null>) => number; extra: Record<string, unknown>; repliesMayLag?: boolean }>;

const DRIVES: Record<Exclude<Scenario, 'baseline'>, Drive> = {
  async steady(s, a, begin) {
    const rate = a.rate ?? 200;
    const seconds = a.duration ?? 60;
    const shop = await setupShop(s, { buyers: a.buyers ?? (a.quick ? 10 : 300), inventory: null });
    const poster = new Poster(s, shop);
    await begin();
    const achieved = await poster.paced(rate, seconds);
    const ok = await drained(s, poster.sent, 120_000 + (poster.sent / 15) * 1000);
    return { sent: poster.sent, postsPerS: () => round(achieved, 1), extra: { offered_rate: rate, drained: ok } };
  },
  async saturate(s, a, begin) {
    const seconds = a.duration ?? 60;
    const shop = await setupShop(s, { buyers: a.buyers ?? 300, inventory: null });
    const poster = new Poster(s, shop);
    await begin();
    const t0 = Date.now();
    await poster.saturate(seconds, 4000, async () => (await emulatorStats(s)).replies_total);
    const repliedInDrive = (await emulatorStats(s)).replies_total;
    const driveS = (Date.now() - t0) / 1000;
    const ok = await drained(s, poster.sent, 600_000);
    return {
      sent: poster.sent,
      postsPerS: (sp) => round(poster.sent / (sp.all_replied_s ?? Infinity), 1),
      extra: { drained: ok, in_flight_window: 4000, replied_per_s_while_driving: round(repliedInDrive / driveS, 1) },
    };
  },
  async flash(s, a, begin) {
    const posts = a.posts ?? 10_000;
    const shop = await setupShop(s, { buyers: a.buyers ?? 500, inventory: a.inventory ?? 500 });
    const poster = new Poster(s, shop);
    await begin();
    await poster.paced(posts, 1, 100);
    const ok = await drained(s, poster.sent, 900_000);
    const inventory = a.inventory ?? 500;
    return {
      sent: poster.sent, postsPerS: (sp) => round(poster.sent / (sp.all_replied_s ?? Infinity), 1),
      extra: { inventory, drained: ok, fairness: await fairness(s.db, inventory) },
    };
  },
  'redis-loss': redisLossDrive,
  async 'real-limits'(s, a, begin) {
    const posts = a.posts ?? 2000;
    const observe = a.duration ?? 60;
    // 20 of the posters have no card yet: their signup links are the replies a buyer must act on.
    const shop = await setupShop(s, { buyers: a.buyers ?? 300, inventory: a.inventory ?? 500, unlinked: 20 });
    // Linking buyers spent Stripe calls without a budget; from here on Stripe allows its live 100 ops/s.
    await stripeConfig(s, 100);
    const poster = new Poster(s, shop);
    await begin();
    const t0 = Date.now();
    await poster.paced(posts, 1, 100);
    const settled = await drained(s, poster.sent, observe * 1000, { replies: false });
    await sleep(Math.max(0, t0 + observe * 1000 - Date.now()));
    const { rows } = await s.db.query(`SELECT kind, status, count(*)::int AS n FROM replies GROUP BY 1, 2 ORDER BY 1, 2`);
    const pending = (rows as Array<{ status: string; n: number }>).filter((r) => r.status === 'pending').reduce((x, r) => x + r.n, 0);
    const st = await emulatorStats(s);
    const count = (svc: string, re: RegExp) => Object.entries(st.statuses[svc] ?? {}).filter(([k]) => re.test(k)).reduce((x, [, n]) => x + n, 0);
    const perSecond = Object.values(st.intents_per_second);
    // X: 100 replies per 15 min per user (the shop) and 10,000 per 24 h per app.
    const windows = Math.ceil(pending / 100);
    const told = await everyBuyerTold(s.db);
    return {
      sent: poster.sent,
      repliesMayLag: true,
      postsPerS: (sp) => round(poster.sent / (sp.all_outcomes_s ?? Infinity), 1),
      extra: {
        observed_s: observe, orders_settled_within_observation: settled,
        stripe: { ops_per_second_limit: 100, max_intent_creates_in_one_second: Math.max(0, ...perSecond), http_429: count('stripe', / 429$/) },
        x: { replies_limit: '100 per 15 min per user; 10,000 per 24 h per app', reply_posts_201: count('x', /^POST \/2\/tweets 201$/), reply_posts_429: count('x', /^POST \/2\/tweets 429$/) },
        replies_by_kind_status: rows, replies_pending: pending, told,
        projected_reply_drain_s: windows * 900, projected_reply_drain_h: round((windows * 900) / 3600, 2),
      },
    };
  },
};

async function runPipeline(a: Args, baselineJobs: number): Promise<Record<string, unknown>> {
  const scenario = a.scenario as Exclude<Scenario, 'baseline'>;
  const s = await startBenchStack({ realLimits: scenario === 'real-limits', env: { ...(scenario === 'redis-loss' ? REDIS_LOSS_ENV : {}), ...a.env } });
  try {
    for (const role of ['api', 'worker', 'ingest'] as const) await s.start(role);
    const baseline = await runBaseline({ REDIS_URL, BENCH_PREFIX: s.prefix, jobs: baselineJobs, concurrency: Number(s.env.TWEETS_CONCURRENCY ?? 16) });
    const pids = Object.fromEntries([...s.procs.entries()].map(([n, p]) => [n, p.proc.pid!]));
    let procs: ReturnType<typeof startProcSampler> | undefined;
    let queues: ReturnType<typeof startQueueSampler> | undefined;
    let t0 = 0;
    let pg0: Record<string, number> = {};
    let redis0: Record<string, number> = {};
    // Measuring starts once the shop and its buyers exist, right before the first post.
    const d = await DRIVES[scenario](s, a, async () => {
      pg0 = await pgCounters(s.db, s.dbName);
      redis0 = await redisCalls(REDIS_URL);
      procs = startProcSampler(pids);
      queues = startQueueSampler(REDIS_URL, s.prefix);
      t0 = Date.now();
    });
    const wall = (Date.now() - t0) / 1000;
    const usage: ProcReport = procs!.report();
    const redisPerPost = topPerPost(redis0, await redisCalls(REDIS_URL), d.sent);
    const q = await queues!.stop();
    const inv: Invariants = await checkInvariants(s.db, await emulatorSummary(s), d.sent, { repliesMayLag: d.repliesMayLag });
    const sp = await spans(s.db);
    // pg_stat_database lags by up to PGSTAT's flush interval; read it after the invariants' queries.
    const pgPerPost = perPost(pg0, await pgCounters(s.db, s.dbName), d.sent);
    const posts_per_s = d.postsPerS(sp);
    // End to end: first post created → last reply posted; the ratio uses it (steady's posts_per_s is the offered pace).
    const e2e = scenario === 'real-limits' ? posts_per_s : round(d.sent / (sp.all_replied_s ?? Infinity), 1);
    return {
      posts: d.sent, duration_s: round(wall, 2), posts_per_s, spans_s: sp, latency_ms: await latencies(s.db),
      end_to_end_posts_per_s: e2e, baseline_jobs_per_s: baseline.jobs_per_s, ratio: round(e2e / baseline.jobs_per_s, 4), baseline,
      ...usage, service_cpu_ms_per_post: serviceCpuMsPerPost(usage.cpu_s, d.sent), postgres_per_post: pgPerPost, postgres_seq_scans: await seqScans(s.db), redis_calls_per_post: redisPerPost, queues: q, ...d.extra, invariants: inv,
      config: effectiveConfig(s.env, a.env),
    };
  } catch (err) {
    for (const p of s.procs.values()) process.stderr.write(`--- ${p.name} output (tail) ---\n${p.output().slice(-2000)}\n`);
    throw err;
  } finally {
    await s.close();
  }
}

/**
 * Issue 13: when each buyer was first told, through any channel: a reply posted, a public notice
 * covering their reply (its time: when it covered it), or Stripe's receipt email (sent when the
 * charge succeeded, to the email on the order). From the sell-out (the first product.sold_out).
 */
async function everyBuyerTold(db: BenchStack['db']) {
  const { rows } = await db.query(
    `WITH first_post AS (SELECT min(created_at) AS at FROM orders),
     sold_out AS (SELECT min(created_at) AS at FROM order_events WHERE type = 'product.sold_out'),
     told AS (
       SELECT o.id, LEAST(
         (SELECT min(r.posted_at) FROM replies r WHERE r.order_id = o.id AND r.status IN ('posted', 'aggregated')),
         CASE WHEN o.receipt_email IS NOT NULL THEN o.paid_at END) AS at
       FROM orders o),
     actionable AS (
       SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*)::int AS total, max(posted_at) AS last
       FROM replies WHERE kind IN ('signup', 'confirm_request', 'action_required', 'address_needed', 'declined', 'spending_limit'))
     SELECT (SELECT count(*)::int FROM told) AS orders,
       (SELECT count(*)::int FROM told WHERE at IS NULL) AS untold,
       extract(epoch FROM (SELECT max(at) FROM told) - (SELECT at FROM sold_out))::float AS all_told_after_sellout_s,
       extract(epoch FROM (SELECT max(at) FROM told) - (SELECT at FROM first_post))::float AS all_told_after_first_post_s,
       (SELECT count(*)::int FROM replies WHERE status = 'aggregated') AS replies_aggregated,
       (SELECT count(*)::int FROM public_notices WHERE status = 'posted') AS public_notices,
       (SELECT count(*)::int FROM orders WHERE receipt_email IS NOT NULL AND paid_at IS NOT NULL) AS stripe_receipt_emails,
       (SELECT total FROM actionable) AS actionable_replies,
       (SELECT pending FROM actionable) AS actionable_pending,
       extract(epoch FROM (SELECT last FROM actionable) - (SELECT at FROM first_post))::float AS all_actionable_posted_after_first_post_s`,
  );
  const r = rows[0] as Record<string, number | null>;
  const s = (v: number | null | undefined) => (v === null || v === undefined ? null : round(Number(v), 2));
  return {
    orders: r.orders, untold: r.untold,
    all_told_after_sellout_s: r.untold ? null : s(r.all_told_after_sellout_s), all_told_after_first_post_s: r.untold ? null : s(r.all_told_after_first_post_s),
    replies_aggregated: r.replies_aggregated, public_notices: r.public_notices, stripe_receipt_emails: r.stripe_receipt_emails,
    actionable_replies: r.actionable_replies, actionable_pending: r.actionable_pending,
    all_actionable_posted_after_first_post_s: r.actionable_pending ? null : s(r.all_actionable_posted_after_first_post_s),
  };
}

function targets(scenario: Scenario, r: Record<string, unknown>): Record<string, { target: string; value: unknown; met: boolean }> {
  const t: Record<string, { target: string; value: unknown; met: boolean }> = {};
  const rss = (r.peak_rss_mb ?? {}) as Record<string, number>;
  const service = Object.entries(rss).filter(([n]) => ['api', 'worker', 'ingest'].includes(n));
  if (service.length) t.rss = { target: 'service processes ≤ 300 MB RSS', value: Object.fromEntries(service), met: service.every(([, v]) => v <= 300) };
  const lat = r.latency_ms as Record<string, { p99: number }> | undefined;
  if (scenario === 'saturate') {
    t.throughput = { target: '≥ 1,000 posts/s end to end', value: r.posts_per_s, met: Number(r.posts_per_s) >= 1000 };
    t.ratio = { target: 'ratio ≥ 0.10', value: r.ratio, met: Number(r.ratio) >= 0.1 };
  }
  if (scenario === 'steady') t.p99_charged = { target: 'p99 post → charged ≤ 100 ms', value: lat?.charged?.p99, met: (lat?.charged?.p99 ?? Infinity) <= 100 };
  if (scenario === 'flash') {
    const sp = r.spans_s as Record<string, number | null>;
    const inv = r.invariants as Record<string, Record<string, number>>;
    t.all_outcomes = { target: 'all outcomes ≤ 15 s', value: sp.all_outcomes_s, met: (sp.all_outcomes_s ?? Infinity) <= 15 };
    t.oversold = { target: '0 oversold', value: inv.paid_within_inventory?.oversold, met: inv.paid_within_inventory?.oversold === 0 };
    t.fairness = { target: 'fairness ≥ 0.99', value: r.fairness, met: Number(r.fairness) >= 0.99 };
    t.double_charges = { target: '0 double charges', value: inv.succeeded_intents_equal_paid_orders?.double_charges, met: inv.succeeded_intents_equal_paid_orders?.double_charges === 0 };
  }
  if (scenario === 'real-limits') {
    const told = r.told as { untold: number; all_told_after_sellout_s: number | null };
    const x = r.x as { reply_posts_429: number };
    const stripe = r.stripe as { http_429: number };
    t.every_buyer_told = { target: 'every buyer told ≤ 60 s after the sell-out', value: told.all_told_after_sellout_s, met: told.untold === 0 && (told.all_told_after_sellout_s ?? Infinity) <= 60 };
    t.x_429 = { target: 'X 429s ≤ 1 (the one that reveals the window)', value: x.reply_posts_429, met: x.reply_posts_429 <= 1 };
    t.stripe_429 = { target: '0 Stripe 429s', value: stripe.http_429, met: stripe.http_429 === 0 };
  }
  if (scenario === 'redis-loss') {
    const loss = r.redis_loss as { lost: number; doubled: number; settled_after_redis_returned_s: number | null };
    t.lost = { target: 'every post gets its outcome: 0 lost', value: loss.lost, met: loss.lost === 0 };
    t.doubled = { target: '0 doubled charges', value: loss.doubled, met: loss.doubled === 0 };
    t.settled = { target: 'settled ≤ 60 s after Redis returns', value: loss.settled_after_redis_returned_s, met: (loss.settled_after_redis_returned_s ?? Infinity) <= 60 };
  }
  return t;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const started = new Date();
  const baselineJobs = a.quick ? 2000 : 20000;
  let body: Record<string, unknown>;
  if (a.scenario === 'baseline') {
    const b: BaselineResult = await runBaseline({ REDIS_URL, BENCH_PREFIX: `hcbench${Date.now()}`, jobs: a.posts ?? baselineJobs, concurrency: Number(a.env.TWEETS_CONCURRENCY ?? 16) });
    body = { posts: 0, duration_s: b.seconds, posts_per_s: null, latency_ms: null, baseline_jobs_per_s: b.jobs_per_s, ratio: null, baseline: b, peak_rss_mb: {}, cpu_s: {}, invariants: { ok: true } };
  } else {
    body = await runPipeline(a, baselineJobs);
  }
  const result = { scenario: a.scenario, started_at: started.toISOString(), ...body, targets: targets(a.scenario, body), machine: machine(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}` };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${a.scenario}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), file)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit((body.invariants as { ok: boolean }).ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(2);
});

/** What the service processes ran with: their own defaults where the bench set nothing. */
function effectiveConfig(env: Record<string, string>, overrides: Record<string, string>) {
  const c = loadConfig({ ...env, NODE_ENV: 'test' });
  return {
    TWEETS_CONCURRENCY: c.TWEETS_CONCURRENCY, CHARGES_CONCURRENCY: c.CHARGES_CONCURRENCY, REPLIES_CONCURRENCY: c.REPLIES_CONCURRENCY,
    DATABASE_POOL_SIZE: c.DATABASE_POOL_SIZE, STRIPE_OPS_PER_SECOND: c.STRIPE_OPS_PER_SECOND, LOG_LEVEL: c.LOG_LEVEL, overrides,
  };
}

