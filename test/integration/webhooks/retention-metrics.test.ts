import request from 'supertest';
import type { Express } from 'express';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';
import { startMaintenance } from '../../../src/queue/maintenance';
import { createMetrics, type Metrics } from '../../../src/ops/metrics';
import { createSecretBox } from '../../../src/webhooks/secret-box';
import { createDispatcher, type RetrySchedule } from '../../../src/webhooks/dispatcher';
import { createProduct, payTestOrder, placeTestOrder, startReceiver } from './helpers';

const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
const FAST: RetrySchedule = { baseMs: 20, maxMs: 80, windowMs: 60_000, timeoutMs: 2_000 };
let database: TestDatabase;
let rt: Runtime;
let app: Express;
let metrics: Metrics;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig({
    DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_retention', STRIPE_WEBHOOK_SECRET: 'whsec_retention0123456789', WEBHOOK_DELIVERY_RETENTION_DAYS: '30', ...X_ENV,
  });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  metrics = createMetrics(createLogger('silent'));
  metrics.watchWebhooks(rt.db);
  app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt, metrics) });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  for (const q of Object.values(rt.queues)) await q.obliterate({ force: true });
  await rt.close();
  await database.drop();
});

const dispatcher = (schedule = FAST) => createDispatcher({
  db: rt.db, box: createSecretBox(rt.config.SIGNING_SECRET), policy: { production: false }, log: createLogger('silent'), schedule,
  onDelivery: metrics.workerHooks.onWebhookDelivery, onEndpointDisabled: metrics.workerHooks.onWebhookEndpointDisabled,
});

async function merchantWithEndpoint(name: string, events: string[]) {
  const m = await request(app).post('/v1/merchants').set('Authorization', `Bearer ${rt.config.ADMIN_TOKEN}`).send({ name }).expect(201);
  const ep = await request(app).post('/v1/webhook_endpoints').set('Authorization', `Bearer ${m.body.api_key}`).send({ url: receiver.url, enabled_events: events }).expect(201);
  return { id: m.body.id as string, apiKey: m.body.api_key as string, endpoint: ep.body.id as string };
}

async function scrape(): Promise<string> {
  return (await request(app).get('/metrics').set('Authorization', `Bearer ${rt.config.ADMIN_TOKEN}`).expect(200)).text;
}
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
const deliveries = async (endpoint: string) =>
  (await rt.db.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at', [endpoint])).rows.map((r) => r.status);

describe('merchant webhook deliveries: metrics and retention', () => {
  it('counts deliveries by outcome with their latency, and endpoints disabled', async () => {
    const ok = await merchantWithEndpoint('Metrics Ok', ['order.paid']);
    const order = await placeTestOrder(rt.db, ok.id, await createProduct(app, ok.apiKey, 'BuyMetricMug'));
    await payTestOrder(rt.db, order.id);
    receiver.plan.push(500);
    await dispatcher().runOnce(); // the first attempt fails
    await new Promise((r) => setTimeout(r, 120)); // its retry comes due (FAST schedule)
    await dispatcher().runOnce();
    expect(await deliveries(ok.endpoint)).toEqual(['succeeded']);

    // An endpoint that keeps failing past its window is disabled.
    const bad = await merchantWithEndpoint('Metrics Bad', ['order.paid']);
    const badOrder = await placeTestOrder(rt.db, bad.id, await createProduct(app, bad.apiKey, 'BuyBadMug'));
    await payTestOrder(rt.db, badOrder.id);
    receiver.plan.push(503);
    await dispatcher({ ...FAST, windowMs: 0 }).runOnce();
    expect(await deliveries(bad.endpoint)).toEqual(['failed']);

    const text = await scrape();
    expect(value(text, 'hc_webhook_deliveries_total{outcome="delivered"}')).toBe(1);
    expect(value(text, 'hc_webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(value(text, 'hc_webhook_deliveries_total{outcome="gave_up"}')).toBe(1);
    expect(value(text, 'hc_webhook_delivery_duration_seconds_count{outcome="delivered"}')).toBe(1);
    expect(value(text, 'hc_webhook_endpoints_disabled_total')).toBe(1);
    expect(value(text, 'hc_webhook_endpoints_disabled')).toBe(1);
  });

  it('the maintenance sweep deletes delivered and given-up deliveries older than the retention, and keeps the rest', async () => {
    const m = await merchantWithEndpoint('Retention', ['order.created', 'order.paid']);
    const product = await createProduct(app, m.apiKey, 'BuyOldMug');
    for (let i = 0; i < 3; i++) await payTestOrder(rt.db, (await placeTestOrder(rt.db, m.id, product)).id);
    await dispatcher().runOnce();
    const { rows } = await rt.db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at, id', [m.endpoint]);
    expect(rows).toHaveLength(6);
    const [oldDelivered, oldFailed, oldPending, recent] = rows.map((r) => r.id);
    await rt.db.query(`UPDATE webhook_deliveries SET updated_at = now() - interval '31 days' WHERE id = ANY($1)`, [[oldDelivered, oldFailed, oldPending]]);
    await rt.db.query(`UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1`, [oldFailed]);
    await rt.db.query(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() + interval '1 hour' WHERE id = $1`, [oldPending]);
    await rt.db.query(`UPDATE webhook_deliveries SET updated_at = now() - interval '29 days' WHERE id = $1`, [recent]);

    await startMaintenance(rt, 60_000).runOnce();
    const left = (await rt.db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1', [m.endpoint])).rows.map((r) => r.id);
    expect(left).toHaveLength(4);
    expect(left).not.toContain(oldDelivered);
    expect(left).not.toContain(oldFailed);
    expect(left).toEqual(expect.arrayContaining([oldPending!, recent!]));
    // What the merchant sees: the delivery log no longer lists them.
    const log = await request(app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', `Bearer ${m.apiKey}`).query({ limit: 100 }).expect(200);
    expect(log.body.data.map((d: { id: string }) => d.id).sort()).toEqual([...left].sort());
  });
});
