import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { freePort, runService, ROOT, type ServiceProcess } from '../../support/process';
import { REDIS_URL, testPrefix } from '../../support/app';

jest.setTimeout(120_000);

const ADMIN = 'demo-test-admin-token-0123456789abcdef';
let database: TestDatabase;
let service: ServiceProcess;
let ports: { PORT: string; STRIPE_EMULATOR_PORT: string; X_EMULATOR_PORT: string };
let dataDir: string;
const prefix = testPrefix();

/** Runs `npm run demo`'s script as a user would, with only the addresses and the token. */
function runDemo(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hc-demo-'));
  ports = { PORT: String(await freePort()), STRIPE_EMULATOR_PORT: String(await freePort()), X_EMULATOR_PORT: String(await freePort()) };
  // `npm start` in sandbox mode: no Stripe or X credentials at all.
  service = runService(['all'], { ...ports, DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, ADMIN_TOKEN: ADMIN, DATA_DIR: dataDir, API_RATE_LIMIT_PER_SECOND: '1000' });
  await service.waitFor(/Hashtag Checkout is up/, 60_000);
});
afterAll(async () => {
  await service?.stop('SIGTERM');
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

describe('npm run demo', () => {
  it('plays the whole story against a sandbox service and prints a readable transcript', async () => {
    const { code, out, err } = await runDemo({ ...ports, ADMIN_TOKEN: ADMIN });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    if (process.env.SHOW_DEMO) console.log(out);
    const base = `http://localhost:${ports.PORT}`;
    const lines = out.split('\n');
    const after = (heading: RegExp) => lines.slice(lines.findIndex((l) => heading.test(l))).join('\n');
    expect(out).toMatch(/^1\. A merchant signs up/m);
    expect(out).toMatch(/merchant mer_\w+ \(API key hck_test_/);
    expect(out).not.toMatch(/hck_test_[A-Za-z0-9]{20,}/);
    expect(after(/^2\. /)).toMatch(new RegExp(`@shop replies: {2}"Almost there!.*${base}/link/tok_`));
    expect(after(/^3\. /)).toMatch(/@shop replies: {2}"Paid: .*Order ord_\w+/);
    expect(after(/^3\. /)).toContain('1 succeeded payment intent of $18.00');
    expect(after(/^4\. /)).toMatch(/@shop replies: {2}"Your card was declined/);
    expect(after(/^5\. /)).toMatch(/@shop replies: {2}"Sorry, .* is sold out\. You have not been charged\."/);
    expect(out).toContain('sold out: 0 left');
    expect(out).toContain(`${base}/admin/queues`);
    expect(out).not.toContain(ADMIN);
  });

  it('exits non-zero with a clear message when no service is running', async () => {
    const { code, out, err } = await runDemo({ PORT: String(await freePort()), ADMIN_TOKEN: ADMIN });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/The service is not running at http:\/\/localhost:\d+\. Start it in sandbox mode with `npm start`/);
  });

  it('refuses to run against a service that is not in sandbox mode', async () => {
    // The service answers, but nothing answers where the emulators would be: real Stripe and X.
    const { code, err } = await runDemo({ ...ports, X_EMULATOR_PORT: String(await freePort()), ADMIN_TOKEN: ADMIN });
    expect(code).toBe(1);
    expect(err).toMatch(/is not in sandbox mode/);
  });
});
