import request from 'supertest';
import type { Express } from 'express';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';
import { buyerSessions, signIn } from '../../../src/sessions/sessions';

const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
const BUYER = '9002';

let database: TestDatabase;
let rt: Runtime;
let app: Express;
let cookie = '';

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_support', STRIPE_WEBHOOK_SECRET: 'whsec_support', ...X_ENV });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  // Stands in for the X sign-in (tested end to end elsewhere): the same sessions, signed in as the buyer.
  const sessions = buyerSessions({ redis: rt.redis, prefix: config.QUEUE_PREFIX, signingSecret: config.SIGNING_SECRET, secure: false });
  const signInAsBuyer = (a: Express) => a.get('/test/sign-in', ...sessions.middleware, async (req, res) => {
    await signIn(req, { id: BUYER, username: 'changedmind' });
    res.status(204).end();
  });
  const mounts = pipelineMounts(rt);
  app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...mounts, mountBefore: [signInAsBuyer, ...mounts.mountBefore!] });
  await rt.db.query(`INSERT INTO merchants (id, name) VALUES ('mer_s', 'Mug Co')`);
  await rt.db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, support_email)
                     VALUES ('prod_s', 'mer_s', 'Blue Mug', 'BuyBlueMug', 'buybluemug', 1800, 'usd', 'help@mug.example'),
                            ('prod_n', 'mer_s', 'Red Mug', 'BuyRedMug', 'buyredmug', 1500, 'usd', NULL)`);
  await rt.db.query(`INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status)
                     VALUES ('ord_s0000000000000000001', 'mer_s', 'prod_s', '1', $1, 1, 1800, 'usd', 'paid'),
                            ('ord_n0000000000000000001', 'mer_s', 'prod_n', '2', $1, 1, 1500, 'usd', 'paid')`, [BUYER]);
  const res = await request(app).get('/test/sign-in').expect(204);
  cookie = res.headers['set-cookie']![0]!.split(';')[0]!;
});
afterAll(async () => {
  await rt.close();
  await database.drop();
});

describe('/account after the #cancel window', () => {
  it('shows each order\'s id and, where the shop gave one, its support email: how to reach the shop', async () => {
    const html = (await request(app).get('/account').set('Cookie', cookie).expect(200)).text;
    const rows = [...html.matchAll(/<tr[^>]*><td>([\s\S]*?)<\/td>/g)].map((m) => m[1]!);
    const blue = rows.find((r) => r.includes('Blue Mug'))!;
    const red = rows.find((r) => r.includes('Red Mug'))!;
    expect(blue).toContain('ord_s0000000000000000001');
    expect(blue).toContain('<a href="mailto:help@mug.example">help@mug.example</a>');
    expect(red).toContain('ord_n0000000000000000001');
    expect(red).not.toContain('Contact the shop');
    expect(html).toContain('Reply #cancel to the receipt');
  });
});
