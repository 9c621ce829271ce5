import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
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
const BUYER = '9001';
const SAVING = /being saved/i;

let database: TestDatabase;
let rt: Runtime;
let app: Express;
let cookie = '';

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_welcome', STRIPE_WEBHOOK_SECRET: 'whsec_welcome', ...X_ENV });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  // Stands in for the X sign-in (tested end to end elsewhere): the same sessions, signed in as the buyer.
  const sessions = buyerSessions({ redis: rt.redis, prefix: config.QUEUE_PREFIX, signingSecret: config.SIGNING_SECRET, secure: false });
  const signInAsBuyer = (a: Express) => a.get('/test/sign-in', ...sessions.middleware, async (req, res) => {
    await signIn(req, { id: BUYER, username: 'welcomer' });
    res.status(204).end();
  });
  const mounts = pipelineMounts(rt);
  app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...mounts, mountBefore: [signInAsBuyer, ...mounts.mountBefore!] });
  await rt.db.query(`INSERT INTO merchants (id, name) VALUES ('mer_w', 'Mug Co')`);
  await rt.db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency) VALUES ('prod_w', 'mer_w', 'Blue Mug', 'BuyBlueMug', 'buybluemug', 1800, 'usd')`);
  await rt.db.query(`INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status)
                     VALUES ('ord_w', 'mer_w', 'prod_w', '1', $1, 1, 1800, 'usd', 'awaiting_signup')`, [BUYER]);
  const res = await request(app).get('/test/sign-in').expect(204);
  cookie = res.headers['set-cookie']![0]!.split(';')[0]!;
});
afterAll(async () => {
  await rt.close();
  await database.drop();
});

const setStatus = (status: string) => rt.db.query(`UPDATE orders SET status = $1 WHERE id = 'ord_w'`, [status]);
const welcome = async () => (await request(app).get('/welcome?order=ord_w').set('Cookie', cookie).expect(200)).text;
/** The sentence under the heading. */
const leadIn = (html: string) => /<\/h1>\s*<p[^>]*>([^<]*)<\/p>/.exec(html)?.[1];

/** Runs /assets/status.js against the welcome page's elements, answering each poll with the real endpoint. */
async function runStatusScript(html: string): Promise<Record<string, { text: string; attrs: Record<string, string> }>> {
  const elements: Record<string, { textContent: string; className: string; attrs: Record<string, string>; getAttribute(n: string): string | null; setAttribute(n: string, v: string): void }> = {};
  for (const id of ['order-status', 'order-hint', 'order-lead']) {
    const attrs: Record<string, string> = {};
    const tag = new RegExp(`<[a-z]+ id="${id}"([^>]*)>([^<]*)<`).exec(html);
    if (!tag) continue;
    for (const [, k, v] of tag[1]!.matchAll(/([\w-]+)="([^"]*)"/g)) attrs[k!] = v!;
    elements[id] = { textContent: tag[2]!, className: attrs.class ?? '', attrs, getAttribute: (n) => attrs[n] ?? null, setAttribute: (n, v) => { attrs[n] = v; } };
  }
  const timers: Array<() => void> = [];
  const context = {
    document: { getElementById: (id: string) => elements[id] ?? null },
    setTimeout: (fn: () => void) => timers.push(fn),
    fetch: async (url: string) => {
      const res = await request(app).get(url).set('Cookie', cookie).set('Accept', 'application/json');
      return { ok: res.status === 200, json: async () => res.body };
    },
  };
  vm.runInNewContext(fs.readFileSync(path.resolve(__dirname, '../../../src/pages/assets/status.js'), 'utf8'), context);
  for (let i = 0; i < 3 && timers.length; i++) {
    timers.shift()!();
    await new Promise((r) => setTimeout(r, 100));
  }
  return Object.fromEntries(Object.entries(elements).map(([id, e]) => [id, { text: e.textContent, attrs: e.attrs }]));
}

describe('the page after Checkout follows the order', () => {
  it('while the card is being saved, it says so', async () => {
    await setStatus('awaiting_signup');
    expect(leadIn(await welcome())).toMatch(SAVING);
  });

  it('once paid, the page no longer says the card is being saved, without a reload', async () => {
    await setStatus('awaiting_signup');
    const html = await welcome();
    await setStatus('paid');
    const status = await request(app).get('/account/orders/ord_w/status').set('Cookie', cookie).expect(200);
    expect(status.body).toMatchObject({ status: 'paid', final: true, label: 'Paid' });
    expect(status.body.lead).toMatch(/paid/);
    expect(status.body.lead).not.toMatch(SAVING);

    const page = await runStatusScript(html);
    expect(page['order-status']).toMatchObject({ text: 'Paid', attrs: { 'data-status': 'paid' } });
    expect(page['order-lead']!.text).toBe(status.body.lead);
    expect(leadIn(await welcome())).toBe(status.body.lead);
  });

  it.each(['charging', 'failed', 'sold_out', 'requires_action', 'refunded'])('%s: the lead never says the card is being saved', async (s) => {
    await setStatus(s);
    expect(leadIn(await welcome())).not.toMatch(SAVING);
  });
});
