import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runService, type ServiceProcess } from '../support/process';
import { testPrefix } from '../support/app';

jest.setTimeout(90_000);

const ADMIN = 'e2e-admin-token-0123456789abcdef';
let dataDir: string;
let svc: ServiceProcess | undefined;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hc-embedded-'));
});
afterAll(async () => {
  await svc?.stop('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function call(port: number, method: string, p: string, token: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('npm start without DATABASE_URL (embedded PGlite)', () => {
  it('keeps a product across a restart', async () => {
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir, ADMIN_TOKEN: ADMIN, QUEUE_PREFIX: testPrefix() };
    svc = runService(['api'], env);
    await svc.waitFor(/Hashtag Checkout is up/, 60_000);
    expect(svc.output()).toMatch(/embedded PostgreSQL \(PGlite\) started/);

    const m = await call(port, 'POST', '/v1/merchants', ADMIN, { name: 'Embedded Mugs' });
    expect(m.status).toBe(201);
    const p = await call(port, 'POST', '/v1/products', String(m.body.api_key), { name: 'Blue Mug', hashtag: 'BuyBlueMug', unit_amount: 1800, currency: 'usd', inventory: 3 });
    expect(p.status).toBe(201);
    expect(await svc.stop('SIGTERM')).toBe(0);
    expect(svc.output()).toMatch(/stopped/);

    svc = runService(['api'], env);
    await svc.waitFor(/Hashtag Checkout is up/, 60_000);
    const again = await call(port, 'GET', `/v1/products/${String(p.body.id)}`, String(m.body.api_key));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: 'Blue Mug', hashtag: '#BuyBlueMug', inventory_remaining: 3 });
    expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(true);
    // The admin token came from the environment, so nothing secret was written or printed.
    expect(svc.output()).not.toContain(ADMIN);
    await svc.stop('SIGTERM');
  });

  it('says in one line how to start Redis when it is unreachable', async () => {
    const port = await freePort();
    const dead = runService(['api'], { PORT: String(port), DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1', STARTUP_WAIT_SECONDS: '1' });
    const line = await dead.waitFor(/Redis is not reachable/, 30_000);
    expect(line).toMatch(/redis-server/);
    expect(await dead.exited()).toBe(1);
  });

  it('refuses to start with a readable list of configuration problems', async () => {
    const bad = runService(['api'], { PORT: 'eighty', REDIS_URL: 'ftp://x', DATA_DIR: dataDir });
    await bad.waitFor(/Configuration is invalid/, 30_000);
    expect(await bad.exited()).toBe(1);
    expect(bad.output()).toMatch(/- PORT:/);
    expect(bad.output()).toMatch(/- REDIS_URL:/);
  });
});
