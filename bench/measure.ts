import fs from 'node:fs';
import { execSync } from 'node:child_process';
import type pg from 'pg';
import { Queue } from 'bullmq';

/** CPU seconds and peak RSS per process from /proc, plus PostgreSQL and Redis as whole servers. */
const TICKS = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function procTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
  } catch {
    return null;
  }
}

function procStatusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function pidsByComm(names: string[]): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (names.includes(fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim())) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function machineTicks(): { busy: number; total: number; irq: number } {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total, irq: (cpu[5] ?? 0) + (cpu[6] ?? 0) };
}

export interface ProcReport {
  cpu_s: Record<string, number>;
  peak_rss_mb: Record<string, number>;
  machine_cpu_busy_pct: number;
  /** CPU seconds used by everything else on the machine (other people's tests, say): the noise floor. */
  other_processes_cpu_s: number;
  irq_softirq_cpu_s: number;
  loadavg_at_start: string;
}

/** Starts counting now; report() gives CPU used since then and the peak RSS seen (VmHWM for our children). */
export function startProcSampler(children: Record<string, number>): { report(): ProcReport } {
  const servers = { postgres: ['postgres'], redis: ['redis-server'] } as const;
  const serverStart = new Map<number, number>();
  for (const pids of Object.values(servers)) for (const pid of pidsByComm([...pids])) serverStart.set(pid, procTicks(pid) ?? 0);
  const start = Object.fromEntries(Object.entries(children).map(([n, pid]) => [n, procTicks(pid) ?? 0]));
  const m0 = machineTicks();
  const self0 = process.cpuUsage();
  const loadavg = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const peakRss: Record<string, number> = {};
  const sample = () => {
    for (const [n, pid] of Object.entries(children)) peakRss[n] = Math.max(peakRss[n] ?? 0, procStatusKb(pid, 'VmHWM') ?? procStatusKb(pid, 'VmRSS') ?? 0);
    for (const [n, comms] of Object.entries(servers)) {
      const rss = pidsByComm([...comms]).reduce((a, pid) => a + (procStatusKb(pid, 'VmRSS') ?? 0), 0);
      peakRss[`${n} (all processes)`] = Math.max(peakRss[`${n} (all processes)`] ?? 0, rss);
    }
  };
  sample();
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    report() {
      clearInterval(timer);
      sample();
      const cpu: Record<string, number> = {};
      for (const [n, pid] of Object.entries(children)) cpu[n] = round(((procTicks(pid) ?? start[n]!) - start[n]!) / TICKS, 2);
      for (const [n, comms] of Object.entries(servers)) {
        const ticks = pidsByComm([...comms]).reduce((a, pid) => a + ((procTicks(pid) ?? 0) - (serverStart.get(pid) ?? 0)), 0);
        cpu[`${n} (all processes)`] = round(ticks / TICKS, 2);
      }
      const m1 = machineTicks();
      const self = process.cpuUsage(self0);
      cpu['bench driver'] = round((self.user + self.system) / 1e6, 2);
      const ours = Object.values(cpu).reduce((a, b) => a + b, 0);
      return {
        cpu_s: cpu,
        // Interrupt time (loopback networking is mostly softirq) belongs to no process: shown on its own.
        irq_softirq_cpu_s: round((m1.irq - m0.irq) / TICKS, 2),
        other_processes_cpu_s: round(Math.max(0, (m1.busy - m0.busy - (m1.irq - m0.irq)) / TICKS - ours), 2),
        loadavg_at_start: loadavg,
        peak_rss_mb: Object.fromEntries(Object.entries(peakRss).map(([n, kb]) => [n, round(kb / 1024, 1)])),
        machine_cpu_busy_pct: round((100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total), 1),
      };
    },
  };
}

const QUEUES = ['tweets', 'charges', 'replies', 'stripe-events'] as const;

/** Backlog (waiting + prioritized + delayed + active) of every queue, once a second. */
export function startQueueSampler(redisUrl: string, prefix: string) {
  const queues = QUEUES.map((n) => new Queue(n, { connection: { url: redisUrl }, prefix }));
  const max: Record<string, number> = {};
  const series: Array<[number, ...number[]]> = [];
  const t0 = Date.now();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'delayed', 'active')));
      const backlog = counts.map((c) => Object.values(c).reduce((a, b) => a + b, 0));
      QUEUES.forEach((n, i) => (max[n] = Math.max(max[n] ?? 0, backlog[i]!)));
      series.push([Math.round((Date.now() - t0) / 1000), ...backlog]);
    } catch {
      /* a missed sample */
    } finally {
      busy = false;
    }
  }, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(queues.map((q) => q.close()));
      return { max_backlog: max, series_columns: ['t_s', ...QUEUES], series };
    },
  };
}

export interface Percentiles { n: number; p50: number; p95: number; p99: number; max: number }

/** Latency percentiles in ms computed by PostgreSQL from its own millisecond timestamps. */
export async function latencies(db: pg.Pool): Promise<Record<'outcome' | 'charged' | 'replied', Percentiles>> {
  const q = async (sql: string): Promise<Percentiles> => {
    const { rows } = await db.query(
      `WITH l AS (${sql}) SELECT count(*)::int AS n, percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ms) AS p, max(ms) AS max FROM l`,
    );
    const r = rows[0] as { n: number; p: number[] | null; max: number | null };
    return { n: r.n, p50: round(r.p?.[0] ?? 0, 1), p95: round(r.p?.[1] ?? 0, 1), p99: round(r.p?.[2] ?? 0, 1), max: round(Number(r.max ?? 0), 1) };
  };
  const ms = (a: string, b: string) => `extract(epoch FROM (${a} - ${b})) * 1000`;
  return {
    outcome: await q(`SELECT ${ms('received_at', 'posted_at')} AS ms FROM posts`),
    charged: await q(`SELECT ${ms('o.paid_at', 'p.posted_at')} AS ms FROM orders o JOIN posts p ON p.tweet_id = o.tweet_id WHERE o.paid_at IS NOT NULL`),
    replied: await q(`SELECT ${ms('r.posted_at', 'p.posted_at')} AS ms FROM replies r JOIN posts p ON p.tweet_id = r.in_reply_to_tweet_id WHERE r.status = 'posted'`),
  };
}

/** Wall-clock spans in seconds from the first post's created_at to the last outcome / charge / reply. */
export async function spans(db: pg.Pool): Promise<Record<string, number | null>> {
  const { rows } = await db.query(`SELECT
      extract(epoch FROM (SELECT max(received_at) - min(posted_at) FROM posts)) AS all_outcomes_s,
      extract(epoch FROM ((SELECT max(paid_at) FROM orders) - (SELECT min(posted_at) FROM posts))) AS all_charged_s,
      extract(epoch FROM ((SELECT max(posted_at) FROM replies) - (SELECT min(posted_at) FROM posts))) AS all_replied_s,
      extract(epoch FROM (SELECT max(posted_at) - min(posted_at) FROM posts)) AS posting_s`);
  return Object.fromEntries(Object.entries(rows[0] as Record<string, string | null>).map(([k, v]) => [k, v === null ? null : round(Number(v), 3)]));
}

/**
 * Stock in post-time order: the share of paid orders whose post is among the first `inventory`
 * posts by id (snowflake ids are time-ordered). 1 when every unit went to the earliest posts.
 */
export async function fairness(db: pg.Pool, inventory: number): Promise<number | null> {
  const { rows } = await db.query(
    `WITH earliest AS (SELECT tweet_id FROM posts ORDER BY length(tweet_id), tweet_id LIMIT $1)
     SELECT count(*) FILTER (WHERE o.tweet_id IN (SELECT tweet_id FROM earliest))::float8 / NULLIF(count(*), 0) AS share
     FROM orders o WHERE o.status = 'paid'`,
    [inventory],
  );
  const share = (rows[0] as { share: number | null }).share;
  return share === null ? null : round(share, 4);
}

/** CPU the service spent per post, in ms: api + worker + ingest + PostgreSQL + Redis (all their processes). */
export function serviceCpuMsPerPost(cpu: Record<string, number>, posts: number): number | null {
  const parts = ['api', 'worker', 'ingest', 'postgres (all processes)', 'redis (all processes)'];
  if (!posts) return null;
  return round((1000 * parts.reduce((a, n) => a + (cpu[n] ?? 0), 0)) / posts, 3);
}

export const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

/** PostgreSQL's own counters for the bench database: transactions and row operations, to compare per post. */
export async function pgCounters(db: pg.Pool, dbName: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned FROM pg_stat_database WHERE datname = $1`,
    [dbName],
  );
  return Object.fromEntries(Object.entries((rows[0] ?? {}) as Record<string, string>).map(([k, v]) => [k, Number(v)]));
}

export function perPost(before: Record<string, number>, after: Record<string, number>, posts: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, round((after[k]! - (before[k] ?? 0)) / Math.max(1, posts), 1)]));
}

/** Redis INFO commandstats (calls per command): shared with anyone else using this Redis, so approximate. */
export async function redisCalls(redisUrl: string): Promise<Record<string, number>> {
  const { Redis } = await import('ioredis');
  const r = new Redis(redisUrl);
  try {
    const info = await r.info('commandstats');
    const out: Record<string, number> = {};
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
    return out;
  } finally {
    r.disconnect();
  }
}

export function topPerPost(before: Record<string, number>, after: Record<string, number>, posts: number, n = 8): Record<string, number> {
  const d = Object.entries(after).map(([k, v]) => [k, (v - (before[k] ?? 0)) / Math.max(1, posts)] as const).filter(([, v]) => v > 0);
  const total = d.reduce((a, [, v]) => a + v, 0);
  return { total: round(total, 1), ...Object.fromEntries(d.sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, round(v, 1)])) };
}

/** Tables read by sequential scans during the run (fresh database, so since creation): where an index is missing. */
export async function seqScans(db: pg.Pool): Promise<Record<string, { seq_scan: number; seq_tup_read: number; idx_scan: number }>> {
  const { rows } = await db.query(
    `SELECT relname, seq_scan::int, seq_tup_read::bigint AS seq_tup_read, coalesce(idx_scan, 0)::int AS idx_scan FROM pg_stat_user_tables WHERE seq_tup_read > 0 ORDER BY seq_tup_read DESC LIMIT 6`,
  );
  return Object.fromEntries(rows.map((r: { relname: string; seq_scan: number; seq_tup_read: string; idx_scan: number }) => [r.relname, { seq_scan: r.seq_scan, seq_tup_read: Number(r.seq_tup_read), idx_scan: r.idx_scan }]));
}
