import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { migrate } from '../src/db/migrate';
import { freePort } from '../src/net';

/** The service as real processes, as in test/support/stack.ts but without Jest and with the emulators in a child. */
export const ROOT = path.resolve(__dirname, '..');
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN = 'bench-admin-token-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_benchsecret0123456789';
const CONSUMER = { key: 'bench-consumer-key', secret: 'bench-consumer-secret' };

export interface Proc {
  name: string;
  proc: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnNode(name: string, script: string, args: string[], env: Record<string, string | undefined>, nodeArgs: string[] = []): Proc {
  // node itself, no wrapper: signals, CPU and RSS are the process's own. TypeScript through tsx's
  // loader; compiled JavaScript (the service as shipped) as it is.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...nodeArgs, ...loader, script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
    for (const w of waiters) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    name, proc, output: () => out,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        const check = () => {
          const m = out.split('\n').find((l) => pattern.test(l));
          if (m !== undefined) done(() => resolve(m));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name}: timed out waiting for ${pattern}:\n${out.slice(-3000)}`))), timeoutMs);
        waiters.add(check);
        void exited.then((code) => waiters.has(check) && done(() => reject(new Error(`${name} exited (${code}) before ${pattern}:\n${out.slice(-3000)}`))));
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}


export interface EmulatorInfo {
  stripeUrl: string;
  xUrl: string;
  statsUrl: string;
  shop: { id: string; username: string };
  shopCreds: { access_token: string; access_token_secret: string };
}

export interface BenchStack {
  id: string;
  prefix: string;
  dbName: string;
  dbUrl: string;
  db: pg.Pool;
  apiUrl: string;
  emu: EmulatorInfo;
  env: Record<string, string>;
  procs: Map<string, Proc>;
  start(role: 'api' | 'worker' | 'ingest'): Promise<Proc>;
  close(): Promise<void>;
}

/**
 * What the roles run: the build the image ships (`npm run build`, then `node dist/main.js`), made
 * once per bench run, so the figures are the service's and not tsx's (its loader and source-map
 * stack traces cost several per cent of CPU and tens of MB). BENCH_SOURCE=1 runs main.ts with tsx.
 */
let built: Promise<string> | undefined;
function serviceEntry(): Promise<string> {
  if (process.env.BENCH_SOURCE === '1') return Promise.resolve('main.ts');
  built ??= new Promise((resolve, reject) => {
    const b = spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    b.once('error', reject);
    b.once('exit', (code) => (code === 0 ? resolve('dist/main.js') : reject(new Error(`npm run build exited ${code}`))));
  });
  return built;
}

export async function startBenchStack(opts: { realLimits: boolean; env?: Record<string, string> }): Promise<BenchStack> {
  const id = `${Date.now()}_${crypto.randomBytes(3).toString('hex')}`;
  const dbName = `hc_bench_${id}`;
  const prefix = `hcbench${id.replace(/_/g, '')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  await migrate(dbUrl);

  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const procs = new Map<string, Proc>();
  const emuProc = spawnNode('emulators', 'bench/emulators.ts', [], {
    BENCH_WEBHOOK_URL: `${apiUrl}/webhooks/stripe`, BENCH_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BENCH_X_CONSUMER_KEY: CONSUMER.key, BENCH_X_CONSUMER_SECRET: CONSUMER.secret, BENCH_REAL_LIMITS: opts.realLimits ? '1' : '0',
  });
  procs.set('emulators', emuProc);
  const emu = JSON.parse(await emuProc.waitFor(/^\{"stripeUrl"/, 60_000)) as EmulatorInfo;

  const env: Record<string, string> = {
    NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: String(port), PUBLIC_BASE_URL: apiUrl,
    DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: prefix, ADMIN_TOKEN: ADMIN,
    SIGNING_SECRET: 'bench-signing-secret-0123456789abcdef0123', API_RATE_LIMIT_PER_SECOND: '100000', API_RATE_LIMIT_BURST: '100000',
    STRIPE_SECRET_KEY: 'sk_test_bench', STRIPE_API_BASE: emu.stripeUrl, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // Stripe's live budget; the emulator enforces it only in real-limits.
    STRIPE_OPS_PER_SECOND: '100000',
    X_API_BASE: emu.xUrl, X_BEARER_TOKEN: 'bench-app-bearer', X_API_KEY: CONSUMER.key, X_API_SECRET: CONSUMER.secret,
    X_ACCESS_TOKEN: emu.shopCreds.access_token, X_ACCESS_SECRET: emu.shopCreds.access_token_secret,
    X_CLIENT_ID: 'bench-client', X_SHOP_USERNAME: emu.shop.username, SHUTDOWN_TIMEOUT_MS: '15000',
    // A budget just under Stripe's live 100 ops/s, as the README advises.
    ...(opts.realLimits ? { STRIPE_OPS_PER_SECOND: '90' } : {}),
    ...opts.env,
  };
  const db = new pg.Pool({ connectionString: dbUrl, max: 3 });

  const stack: BenchStack = {
    id, prefix, dbName, dbUrl, db, apiUrl, emu, env, procs,
    async start(role) {
      // BENCH_CPU_PROF=<dir>: V8 CPU profiles of the roles, written when they exit (open in Chrome DevTools).
      const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const p = spawnNode(role, await serviceEntry(), [role], env, prof);
      procs.set(role, p);
      // LOG_LEVEL=warn hides the start-up lines, so readiness is read from outside.
      const ready: Record<typeof role, () => Promise<boolean>> = {
        api: async () => (await fetch(`${apiUrl}/healthz`)).ok,
        worker: async () => {
          const q = new Queue('charges', { connection: { url: REDIS_URL }, prefix });
          try {
            return (await q.getWorkersCount()) > 0;
          } finally {
            await q.close();
          }
        },
        ingest: async () => ((await (await fetch(`${emu.xUrl}/_emulator/stream`)).json()) as { connected: boolean }).connected,
      };
      const until = Date.now() + 60_000;
      for (;;) {
        if (p.proc.exitCode !== null) throw new Error(`${role} exited (${p.proc.exitCode}):\n${p.output().slice(-3000)}`);
        if (await ready[role]().catch(() => false)) return p;
        if (Date.now() > until) throw new Error(`${role} not ready after 60 s:\n${p.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async close() {
      await Promise.all([...procs.values()].map((p) => p.stop('SIGTERM')));
      await db.end();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
      const r = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
      r.disconnect();
    },
  };
  return stack;
}
