import { spawn } from 'node:child_process';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { createRedis } from '../src/redis';
import { DEFAULT_JOB_OPTIONS } from '../src/queue/queues';

/**
 * Raw BullMQ on the same Redis: a Queue adding no-op jobs in bulk and a Worker at the tweets
 * queue's concurrency processing them, with the service's default job options. Runs as a child
 * process (bench/baseline.ts as the script) so its CPU is its own; prints one JSON line.
 */
export interface BaselineResult {
  jobs: number;
  concurrency: number;
  seconds: number;
  jobs_per_s: number;
  add_jobs_per_s: number;
}

async function child(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `${process.env.BENCH_PREFIX ?? 'hcbench'}base`;
  const jobs = Number(process.env.BENCH_JOBS ?? 20000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
  const queue = new Queue('noop', { connection: createRedis(url), prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker('noop', async () => undefined, { connection: createRedis(url), prefix, concurrency, autorun: false });
  worker.on('completed', () => {
    if (++done === jobs) finish();
  });
  await worker.waitUntilReady();
  void worker.run();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 1000) {
    const n = Math.min(1000, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { jobId: `noop-${i + k}` } })));
  }
  const added = performance.now();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  const result: BaselineResult = {
    jobs, concurrency, seconds: round(seconds), jobs_per_s: Math.round(jobs / seconds), add_jobs_per_s: Math.round(jobs / ((added - t0) / 1000)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Spawns the baseline child and returns its result. */
export function runBaseline(env: { REDIS_URL: string; BENCH_PREFIX: string; jobs: number; concurrency: number }): Promise<BaselineResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'baseline.ts')], {
      cwd: path.resolve(__dirname, '..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: env.REDIS_URL, BENCH_PREFIX: env.BENCH_PREFIX, BENCH_JOBS: String(env.jobs), BENCH_CONCURRENCY: String(env.concurrency) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as BaselineResult);
      } catch (err) {
        reject(new Error(`baseline failed (${(err as Error).message}): ${out.slice(-2000)}`));
      }
    });
  });
}

if (require.main === module) {
  child().catch((err) => {
    console.error((err as Error).stack);
    process.exit(1);
  });
}
