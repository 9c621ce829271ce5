import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createPool } from '../../../src/db/pool';
import { createApp } from '../../../src/http/app';
import { createLogger } from '../../../src/logger';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ API_RATE_LIMIT_PER_SECOND: '5' });
});
afterAll(async () => {
  await t.close();
});

describe('API hygiene', () => {
  it('rate-limits per key with 429, Retry-After and a problem body, without touching other keys', async () => {
    const a = await t.createMerchant('A');
    const b = await t.createMerchant('B');
    const statuses = await Promise.all(Array.from({ length: 12 }, () => request(t.app).get('/v1/products').set('Authorization', `Bearer ${a.apiKey}`)));
    const limited = statuses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(6);
    expect(statuses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5);
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body).toMatchObject({ code: 'rate_limited', status: 429 });
    await request(t.app).get('/v1/products').set('Authorization', `Bearer ${b.apiKey}`).expect(200);
  });

  it('echoes a well-formed X-Request-Id and makes one otherwise; sets helmet headers', async () => {
    const mine = await request(t.app).get('/healthz').set('X-Request-Id', 'trace-123').expect(200);
    expect(mine.headers['x-request-id']).toBe('trace-123');
    const made = await request(t.app).get('/healthz').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^req_/);
    expect(made.headers['x-content-type-options']).toBe('nosniff');
    expect(made.headers['strict-transport-security']).toBeDefined();
    expect(made.headers['x-powered-by']).toBeUndefined();
  });

  it('reports readiness of PostgreSQL and Redis', async () => {
    const ok = await request(t.app).get('/readyz').expect(200);
    expect(ok.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('answers 503 on /readyz when PostgreSQL is gone, while /healthz stays up', async () => {
    const deadDb = createPool('postgres://postgres@127.0.0.1:1/none', 1);
    const app = createApp({ config: t.config, db: deadDb, redis: t.redis, log: createLogger('silent') });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.status).toBe('unavailable');
    expect(res.body.checks.postgres).toMatch(/^unavailable/);
    expect(res.body.checks.redis).toBe('ok');
    await request(app).get('/healthz').expect(200);
    await deadDb.end();
  });

  it('never answers 500 to odd input', async () => {
    const m = await t.createMerchant('Odd');
    const auth = { Authorization: `Bearer ${m.apiKey}` };
    const probes = [
      request(t.app).post('/v1/products').set(auth).set('Content-Type', 'application/json').send('null'),
      request(t.app).post('/v1/products').set(auth).set('Content-Type', 'application/json').send('"text"'),
      request(t.app).post('/v1/products').set(auth).set('Content-Type', 'application/json; charset=latin9').send('{}'),
      request(t.app).get('/v1/products').query('limit=1&limit=2').set(auth),
      request(t.app).get('/v1/products/%E0%A4%A').set(auth),
      request(t.app).patch('/v1/products/prod_x').set(auth).send({ unit_amount: 1e308 }),
      request(t.app).put('/v1/products').set(auth).send({}),
    ];
    for (const res of await Promise.all(probes)) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('treats a hostile cursor as data, not SQL', async () => {
    const m = await t.createMerchant('Cursor');
    const res = await request(t.app).get('/v1/orders').query({ starting_after: "ord_x' OR 1=1 --" }).set('Authorization', `Bearer ${m.apiKey}`).expect(200);
    expect(res.body.data).toEqual([]);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
