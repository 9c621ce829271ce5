import { Writable } from 'node:stream';
import request from 'supertest';
import type { Express } from 'express';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';

const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
// What a real link's token looks like: an id and its MAC. Neither may reach a log line.
const TOKEN_ID = 'tok_LogsMustNotHoldThis01';
const MAC = 'MacMustNotBeLogged0123456789';

let database: TestDatabase;
let rt: Runtime;
let app: Express;
const lines: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_pages', STRIPE_WEBHOOK_SECRET: 'whsec_pages', ...X_ENV });
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  rt = createRuntime(config, createLogger('info', sink), database.url, 'test');
  app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) });
});
afterAll(async () => {
  await rt.close();
  await database.drop();
});

/** A buyer page: HTML in the site's layout, saying what happened; never JSON, never a stack trace. */
function expectBuyerPage(res: request.Response, status: number) {
  expect([res.status, res.headers['content-type']]).toEqual([status, expect.stringMatching(/^text\/html/)]);
  expect(res.text).toContain('<link rel="stylesheet" href="/assets/app.css"');
  expect(res.text).toMatch(/<h1>[^<]+<\/h1>/);
  expect(res.text).not.toMatch(/URIError|Failed to decode|at .*\.js:\d+|"code":/);
}

describe('buyer pages answer a page, whatever the URL', () => {
  const bad = `${TOKEN_ID}%ZZ.${MAC}`;

  it.each([
    ['GET', `/link/${bad}`],
    ['POST', `/link/${bad}/continue`],
    ['GET', `/pay/${bad}`],
    ['GET', `/account/orders/ord_%ZZ/status`],
  ])('%s %s (not valid percent-encoding): a 400 page', async (method, path) => {
    const res = method === 'GET' ? await request(app).get(path) : await request(app).post(path).type('form').send('_csrf=x');
    expectBuyerPage(res, 400);
    expect(res.text).toContain('This link is not valid');
  });

  it('a forged /pay link is a 404 page, and an unknown buyer path is a 404 page too', async () => {
    expectBuyerPage(await request(app).get(`/pay/${TOKEN_ID}.${MAC}`), 404);
    expectBuyerPage(await request(app).get(`/link/${TOKEN_ID}.${MAC}/nothing-here`), 404);
  });

  it('the merchant API still answers problem+json', async () => {
    const res = await request(app).get('/v1/products/prod_%ZZ').set('Authorization', 'Bearer hck_test_nothing');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('no log line holds a link token or its MAC, whatever the case or encoding of the path', async () => {
    await request(app).get(`/LINK/${TOKEN_ID}.${MAC}`);
    await request(app).get(`/Pay/${TOKEN_ID}.${MAC}?done=1`);
    await request(app).get(`/link/${TOKEN_ID}%ZZ.${MAC}`);
    await request(app).get(`/pay/${TOKEN_ID}%ZZ.${MAC}`);
    await request(app).get(`/account/orders/ord_%ZZ/status`);
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(MAC);
    expect(text).not.toContain(TOKEN_ID);
    expect(text).not.toMatch(/"level":50/);
  });
});
