import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');

/** Runs the benchmark as `npm run bench` does (real processes, both emulators) for a few seconds. */
function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench (smoke)', () => {
  it('steady for 3 s at 20 posts/s prints the result JSON last, with every invariant holding', async () => {
    const { code, stdout, stderr } = await runBench(['--scenario', 'steady', '--duration', '3', '--rate', '20', '--quick']);
    const last = stdout.trim().split('\n').pop() ?? '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench's JSON, checked field by field below
    let r: Record<string, any>;
    try {
      r = JSON.parse(last);
    } catch {
      throw new Error(`last line is not JSON (exit ${code}):\n${stdout.slice(-2000)}\n${stderr.slice(-3000)}`);
    }
    expect(code).toBe(0);
    expect(r).toMatchObject({ scenario: 'steady', posts: 60 });
    expect(r.duration_s).toBeGreaterThan(0);
    expect(r.posts_per_s).toBeGreaterThan(0);
    for (const k of ['charged', 'replied']) {
      expect(r.latency_ms[k]).toEqual({ n: 60, p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) });
      expect(r.latency_ms[k].p50).toBeLessThanOrEqual(r.latency_ms[k].max);
    }
    expect(r.baseline_jobs_per_s).toBeGreaterThan(0);
    expect(r.ratio).toBeCloseTo(r.end_to_end_posts_per_s / r.baseline_jobs_per_s, 3);
    for (const role of ['api', 'worker', 'ingest', 'emulators']) {
      expect(r.peak_rss_mb[role]).toBeGreaterThan(10);
      expect(r.cpu_s[role]).toBeGreaterThanOrEqual(0);
    }
    expect(r.invariants.ok).toBe(true);
    for (const check of ['orders_equal_distinct_post_product', 'succeeded_intents_equal_paid_orders', 'paid_within_inventory', 'every_post_one_outcome', 'replies_at_most_once']) {
      expect(r.invariants[check].ok).toBe(true);
    }
    expect(r.invariants.succeeded_intents_equal_paid_orders).toMatchObject({ paid_orders: 60, double_charges: 0 });
    expect(r.invariants.replies_at_most_once).toMatchObject({ posted_on_x: 60, posts_replied_twice: 0 });
    expect(r.machine.nproc).toBeGreaterThan(0);
  });
});
