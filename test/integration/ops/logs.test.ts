import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../../src/logger';
import { loadConfig } from '../../../src/config';
import { createApp } from '../../../src/http/app';
import { queueUiRouter } from '../../../src/ops/queue-ui';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { createPool, type Db } from '../../../src/db/pool';
import { Redis } from 'ioredis';
import { REDIS_URL, testPrefix } from '../../support/app';

/** Collects what the service would print: one JSON object per line. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  return { log: createLogger('info', stream), lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const SECRETS = {
  ADMIN_TOKEN: 'logs-admin-token-0123456789abcdefXYZ',
  SIGNING_SECRET: 'logs-signing-secret-0123456789abcdef0123456789',
  METRICS_TOKEN: 'logs-metrics-token-0123456789abcdefXYZ',
};

describe('logs', () => {
  it('are JSON, one line per event, with the correlation ids the event carries', () => {
    const c = capture();
    c.log.child({ role: 'worker', queue: 'charges' }).info({ order_id: 'ord_1', job_id: 'charge-ord_1', post_id: '123' }, 'charge declined');
    expect(c.lines).toHaveLength(1);
    expect(c.records()[0]).toMatchObject({ level: 30, service: 'hashtag-checkout', role: 'worker', queue: 'charges', order_id: 'ord_1', job_id: 'charge-ord_1', post_id: '123', msg: 'charge declined' });
    expect(c.records()[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('redact secrets and tokens wherever they sit', () => {
    const c = capture();
    const config = loadConfig({ NODE_ENV: 'test', ...SECRETS, STRIPE_SECRET_KEY: 'sk_test_logsSecretKey123', STRIPE_WEBHOOK_SECRET: 'whsec_logs_secret', STRIPE_API_BASE: 'http://127.0.0.1:1',
      X_BEARER_TOKEN: 'x-bearer-logs-secret', X_API_KEY: 'k', X_API_SECRET: 'x-api-secret-logs', X_ACCESS_TOKEN: 'x-access-logs', X_ACCESS_SECRET: 'x-access-secret-logs', X_CLIENT_ID: 'c', X_CLIENT_SECRET: 'x-client-secret-logs' });
    c.log.info({ config }, 'config');
    c.log.info({ req: { headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, cookie: 'hc_ops=1.abc', 'stripe-signature': 't=1,v1=sig' } } }, 'request');
    c.log.info({ shipping: { line1: 'addr-line1-logs' }, order: { id: 'ord_1', shipping: { city: 'addr-city-logs' } }, event: { data: { shipping: { name: 'addr-name-logs' } } } }, 'address');
    c.log.info({ oauth: { access_token: 'oauth-access-logs', refresh_token: 'oauth-refresh-logs', code_verifier: 'verifier-logs' }, buyer: { token: 'tok-logs' } }, 'oauth');
    const text = c.lines.join('\n');
    for (const secret of [...Object.values(SECRETS), 'sk_test_logsSecretKey123', 'whsec_logs_secret', 'x-bearer-logs-secret', 'x-api-secret-logs', 'x-access-logs', 'x-access-secret-logs',
      'x-client-secret-logs', 'hc_ops=1.abc', 't=1,v1=sig', 'oauth-access-logs', 'oauth-refresh-logs', 'verifier-logs', 'tok-logs',
      'addr-line1-logs', 'addr-city-logs', 'addr-name-logs']) {
      expect([secret, text.includes(secret)]).toEqual([secret, false]);
    }
    expect(text).toContain('[redacted]');
  });

  describe('of operator requests', () => {
    let database: TestDatabase;
    let db: Db;
    let redis: Redis;
    beforeAll(async () => {
      database = await createTestDatabase();
      db = createPool(database.url, 2);
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    });
    afterAll(async () => {
      await db.end();
      redis.disconnect();
      await database.drop();
    });

    it('never hold the token from a Basic header, a bearer header or the sign-in form', async () => {
      const c = capture();
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, QUEUE_PREFIX: testPrefix(), ...SECRETS });
      const ui = queueUiRouter({ queues: [], adminToken: SECRETS.ADMIN_TOKEN, signingSecret: SECRETS.SIGNING_SECRET, publicBaseUrl: config.PUBLIC_BASE_URL, log: c.log,
        redis, prefix: config.QUEUE_PREFIX, authFailures: { perIp: 10, perCredential: 50 } });
      const app = createApp({ config, db, redis, log: c.log, mountBefore: [(a) => a.use(ui)] });
      await request(app).get('/admin/queues/api/queues').set('Authorization', `Basic ${Buffer.from(`ops:${SECRETS.ADMIN_TOKEN}`).toString('base64')}`).expect(200);
      await request(app).get('/v1/merchants').set('Authorization', `Bearer ${SECRETS.ADMIN_TOKEN}`).expect(200);
      await request(app).post('/admin/queues/login').type('form').send({ token: SECRETS.ADMIN_TOKEN, csrf: 'x.y' }).expect(403);
      const text = c.lines.join('\n');
      expect(c.records().some((r) => (r.req as { url?: string })?.url === '/admin/queues/api/queues')).toBe(true);
      expect(text).not.toContain(SECRETS.ADMIN_TOKEN);
      expect(text).not.toContain(Buffer.from(`ops:${SECRETS.ADMIN_TOKEN}`).toString('base64'));
    });
  });
});
