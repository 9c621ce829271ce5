import request from 'supertest';
import { Redis } from 'ioredis';
import { startTestApp, REDIS_URL, testPrefix, type TestApp } from '../../support/app';
import { createQueues, closeQueues, type Queues } from '../../../src/queue/queues';
import { createMetrics, type Metrics } from '../../../src/ops/metrics';
import { metricsRouter, startOpsServer } from '../../../src/ops/metrics-http';
import { authFailureGuard } from '../../../src/http/auth-failures';
import { createLogger } from '../../../src/logger';
import type { IngestStatus } from '../../../src/ingest';

const env = { QUEUE_PREFIX: testPrefix(), ADMIN_TOKEN: 'metrics-admin-token-0123456789abcdef', METRICS_TOKEN: 'metrics-scrape-token-0123456789abcdef' };
let t: TestApp;
let queues: Queues;
let connection: Redis;
let metrics: Metrics;
const ingest: IngestStatus = {
  instanceId: 'test', mode: 'stream', active: true, connected: true, cursor: null, rules: 2, connects: 1, disconnects: 0,
  lastDisconnectReason: null, lastConnectedAt: null, waitingMs: null, streamed: 5, backfilled: 0, polled: 0, lastError: null,
};

/** One sample's value from the exposition text, e.g. value(text, 'hc_orders{status="paid"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

beforeAll(async () => {
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(connection, env.QUEUE_PREFIX);
  metrics = createMetrics(createLogger('silent'));
  const guard = authFailureGuard({ redis: connection, prefix: env.QUEUE_PREFIX, log: createLogger('silent'), perIp: 3, perCredential: 100 });
  t = await startTestApp({ ...env, TRUST_PROXY: 'loopback' }, { mountBefore: [(app) => app.use(metricsRouter(metrics.registry, [env.ADMIN_TOKEN, env.METRICS_TOKEN], guard))] });
  metrics.watchQueues(Object.values(queues));
  metrics.watchOrders(t.db);
  metrics.watchIngest(() => ingest);
});
afterAll(async () => {
  await closeQueues(queues);
  connection.disconnect();
  await t?.close();
});

describe('/metrics', () => {
  it('requires a bearer token: METRICS_TOKEN or ADMIN_TOKEN, nothing else', async () => {
    await request(t.app).get('/metrics').expect(401);
    await request(t.app).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789abcdefgh').expect(401);
    await request(t.app).get('/metrics').set('Authorization', `Basic ${Buffer.from(`x:${env.ADMIN_TOKEN}`).toString('base64')}`).expect(401);
    await request(t.app).get('/metrics').set('Authorization', `Bearer ${env.ADMIN_TOKEN}`).expect(200);
    const res = await request(t.app).get('/metrics').set('Authorization', `Bearer ${env.METRICS_TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('answers 429 to an address that sent too many wrong tokens, before comparing; a scraper elsewhere goes on', async () => {
    const from = '203.0.113.60';
    for (let i = 0; i < 3; i++) {
      await request(t.app).get('/metrics').set('X-Forwarded-For', from).set('Authorization', `Bearer metrics-guess-${i}-0123456789abcdef`).expect(401);
    }
    const blocked = await request(t.app).get('/metrics').set('X-Forwarded-For', from).set('Authorization', `Bearer ${env.METRICS_TOKEN}`).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.app).get('/metrics').set('X-Forwarded-For', '198.51.100.60').set('Authorization', `Bearer ${env.METRICS_TOKEN}`).expect(200);
  });

  it('reports queue depths and the oldest wait from Redis, orders by status from PostgreSQL, and what the worker and ingest hooks saw', async () => {
    await queues.tweets.addBulk([1, 2, 3].map((i) => ({ name: 'post', data: { i }, opts: { jobId: `tweet-m${i}`, timestamp: Date.now() - 60_000 } })));
    metrics.workerHooks.onPostOutcome('matched', null);
    metrics.workerHooks.onPostOutcome('ignored', 'retweet');
    metrics.workerHooks.onPostOutcome('ignored', 'retweet');
    metrics.workerHooks.onCharge('succeeded', 0.3);
    metrics.workerHooks.onCharge('declined', 0.2);
    metrics.workerHooks.onReplyOutcome('posted');
    metrics.workerHooks.onReplyRateLimit(97, Date.now() + 900_000);
    metrics.workerHooks.onJobStarted('charges', 1500);

    const { text } = await request(t.app).get('/metrics').set('Authorization', `Bearer ${env.METRICS_TOKEN}`).expect(200);
    expect(value(text, 'hc_queue_jobs{queue="tweets",state="waiting"}')).toBe(3);
    expect(value(text, 'hc_queue_jobs{queue="charges",state="failed"}')).toBe(0);
    expect(value(text, 'hc_queue_oldest_waiting_seconds{queue="tweets"}')).toBeGreaterThanOrEqual(59);
    expect(value(text, 'hc_queue_oldest_waiting_seconds{queue="replies"}')).toBe(0);
    expect(value(text, 'hc_posts_handled_total{outcome="ignored",reason="retweet"}')).toBe(2);
    expect(value(text, 'hc_posts_handled_total{outcome="matched",reason="none"}')).toBe(1);
    expect(value(text, 'hc_charges_total{outcome="succeeded"}')).toBe(1);
    expect(value(text, 'hc_charge_duration_seconds_bucket{le="0.25",outcome="declined"}')).toBe(1);
    expect(value(text, 'hc_charge_duration_seconds_count{outcome="succeeded"}')).toBe(1);
    expect(value(text, 'hc_replies_total{outcome="posted"}')).toBe(1);
    expect(value(text, 'hc_x_rate_limit_remaining')).toBe(97);
    expect(value(text, 'hc_queue_wait_seconds_count{queue="charges"}')).toBe(1);
    expect(value(text, 'hc_posts_received_total{source="stream"}')).toBe(5);
    expect(value(text, 'hc_ingest_stream_connected')).toBe(1);
    expect(value(text, 'hc_ingest_stream_connects_total')).toBe(1);
    expect(text).toMatch(/^hc_process_cpu_seconds_total /m);
    expect(text).toMatch(/^hc_nodejs_eventloop_lag_seconds /m);
    expect(text).toContain('# TYPE hc_orders gauge');

    // Counters carried in ingest status() advance by the difference, never backwards.
    ingest.streamed = 8;
    ingest.disconnects = 1;
    ingest.connected = false;
    const again = (await request(t.app).get('/metrics').set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)).text;
    expect(value(again, 'hc_posts_received_total{source="stream"}')).toBe(8);
    expect(value(again, 'hc_ingest_stream_disconnects_total')).toBe(1);
    expect(value(again, 'hc_ingest_stream_connected')).toBe(0);
  });

  it('worker and ingest roles serve /healthz and a token-protected /metrics on METRICS_PORT', async () => {
    let ok = true;
    const ops = await startOpsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, tokens: [env.ADMIN_TOKEN], log: createLogger('silent'), health: () => ({ ok, workers: ok }) });
    try {
      const base = `http://127.0.0.1:${ops.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      ok = false;
      const sick = await fetch(`${base}/healthz`);
      expect(sick.status).toBe(503);
      expect(await sick.json()).toMatchObject({ status: 'unhealthy', workers: false });
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const m = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } });
      expect(m.status).toBe(200);
      expect(await m.text()).toContain('hc_charges_total');
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await ops.stop();
    }
  });
});
