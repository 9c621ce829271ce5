import request from 'supertest';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestApp, REDIS_URL, testPrefix, type TestApp } from '../../support/app';
import { createLogger } from '../../../src/logger';
import { createQueues, closeQueues, type Queues } from '../../../src/queue/queues';
import { queueUiRouter, QUEUE_UI_PATH } from '../../../src/ops/queue-ui';
import { Writable } from 'node:stream';

let t: TestApp;
let queues: Queues;
let connection: Redis;
const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

/** The sign-in form, as a browser sees it: the CSRF cookie and the hidden field. */
async function openForm(agent: ReturnType<typeof request.agent>) {
  const res = await agent.get(`${QUEUE_UI_PATH}/login`).expect(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(res.text)![1]!;
  return { res, csrf };
}

const logLines: string[] = [];
const log = createLogger('info', new Writable({ write(chunk, _enc, done) { logLines.push(...String(chunk).split('\n').filter(Boolean)); done(); } }));

const env = {
  QUEUE_PREFIX: testPrefix(),
  // Each test plays its clients at addresses of its own, behind a proxy on loopback.
  TRUST_PROXY: 'loopback',
  ADMIN_TOKEN: 'ops-ui-admin-token-0123456789abcdef',
  SIGNING_SECRET: 'ops-ui-signing-secret-0123456789abcdef0123456789',
};

beforeAll(async () => {
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(connection, env.QUEUE_PREFIX);
  const ui = queueUiRouter({ queues: Object.values(queues), adminToken: env.ADMIN_TOKEN, signingSecret: env.SIGNING_SECRET, publicBaseUrl: 'http://localhost:3000', log,
    redis: connection, prefix: env.QUEUE_PREFIX, authFailures: { perIp: 4, perCredential: 1000 } });
  t = await startTestApp(env, { log, mountBefore: [(app) => app.use(ui)] });
});
afterAll(async () => {
  await closeQueues(queues);
  connection.disconnect();
  await t?.close();
});

describe('queue UI at /admin/queues', () => {
  it('is never open: a page goes to the sign-in form, the API asks for Basic credentials', async () => {
    const page = await request(t.app).get(QUEUE_UI_PATH).set('Accept', 'text/html').expect(303);
    expect(page.headers.location).toBe(`${QUEUE_UI_PATH}/login?next=${encodeURIComponent(QUEUE_UI_PATH)}`);
    const api = await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).expect(401);
    expect(api.headers['www-authenticate']).toMatch(/^Basic /);
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Authorization', basic('not-the-token-0123456789abcdef')).expect(401);
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Authorization', `Bearer ${t.admin}`).expect(401);
  });

  it('HTTP Basic with any user and ADMIN_TOKEN lists every queue; the page and its assets load under a CSP that allows them', async () => {
    const res = await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Authorization', basic(t.admin)).expect(200);
    expect(res.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['charges', 'replies', 'stripe-events', 'tweets']);

    const page = await request(t.app).get(QUEUE_UI_PATH).set('Authorization', basic(t.admin)).expect(200);
    expect(page.text).toContain(`<base href="${QUEUE_UI_PATH}/"`);
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const script = /src="(static\/js\/main\.[\w.]+\.js)"/.exec(page.text)![1]!;
    const asset = await request(t.app).get(`${QUEUE_UI_PATH}/${script}`).set('Authorization', basic(t.admin)).expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('the sign-in form needs its CSRF token and the operator token, then sets a signed HttpOnly, SameSite=Strict cookie', async () => {
    const agent = request.agent(t.app);
    const { res, csrf } = await openForm(agent);
    expect(res.text).toContain('type="password"');
    const csrfCookie = String(res.headers['set-cookie']);
    expect(csrfCookie).toMatch(/hc_ops_csrf=[\w-]+; Path=\/admin\/queues; Max-Age=900; HttpOnly; SameSite=Strict/);
    expect(csrfCookie).not.toContain('Secure');

    // A forged form (no token, or a made-up one) is refused before the password is even looked at;
    // every answer carries a fresh form, so each try starts from the page the browser shows.
    await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: t.admin }).expect(403);
    const { csrf: real } = await openForm(agent);
    const forgedCsrf = `${real.split('.')[0]}.${'A'.repeat(43)}`;
    await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: t.admin, csrf: forgedCsrf }).expect(403);
    await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: t.admin, csrf }).expect(403);
    const { csrf: again } = await openForm(agent);
    const wrong = await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: 'guess-guess-guess-guess-guess', csrf: again }).expect(401);
    expect(wrong.text).toContain('That is not the operator token.');
    await agent.get(`${QUEUE_UI_PATH}/api/queues`).expect(401);

    const { csrf: fresh } = await openForm(agent);
    const ok = await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: t.admin, csrf: fresh, next: `${QUEUE_UI_PATH}/queue/charges` }).expect(303);
    expect(ok.headers.location).toBe(`${QUEUE_UI_PATH}/queue/charges`);
    const session = (ok.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('hc_ops='))!;
    expect(session).toMatch(/^hc_ops=\d+\.[\w-]{24}\.[\w-]{43}; Path=\/admin\/queues; Max-Age=7200; HttpOnly; SameSite=Strict$/);
    await agent.get(`${QUEUE_UI_PATH}/api/queues`).expect(200);

    // A tampered cookie is worth nothing.
    const value = /^hc_ops=([^;]+)/.exec(session)![1]!;
    const forged = value.replace(/^\d+/, String(Date.now() + 10 * 365 * 86400_000));
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Cookie', `hc_ops=${forged}`).expect(401);
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Cookie', `hc_ops=${value}`).expect(200);

    await agent.post(`${QUEUE_UI_PATH}/logout`).expect(303);
    await agent.get(`${QUEUE_UI_PATH}/api/queues`).expect(401);
  });

  it('signing out revokes the session: a copy of the cookie taken before is refused', async () => {
    const agent = request.agent(t.app);
    const { csrf } = await openForm(agent);
    const ok = await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: t.admin, csrf }).expect(303);
    const copy = /^hc_ops=([^;]+)/.exec((ok.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('hc_ops='))!)![1]!;
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Cookie', `hc_ops=${copy}`).expect(200);
    await agent.post(`${QUEUE_UI_PATH}/logout`).expect(303);
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('Cookie', `hc_ops=${copy}`).expect(401);
    const page = await request(t.app).get(QUEUE_UI_PATH).set('Accept', 'text/html').set('Cookie', `hc_ops=${copy}`).expect(303);
    expect(page.headers.location).toMatch(/\/login/);
  });

  it('wrong Basic passwords: 429 after 4 from one address, each logged without the password; other clients go on', async () => {
    const from = '203.0.113.40';
    for (let i = 0; i < 4; i++) {
      await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('X-Forwarded-For', from).set('Authorization', basic(`basic-guess-${i}-0123456789`)).expect(401);
    }
    const blocked = await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('X-Forwarded-For', from).set('Authorization', basic(t.admin)).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.app).get(`${QUEUE_UI_PATH}/api/queues`).set('X-Forwarded-For', '198.51.100.40').set('Authorization', basic(t.admin)).expect(200);
    const failures = logLines.filter((l) => l.includes('"authentication failed"') && l.includes(from));
    expect(failures).toHaveLength(4);
    expect(failures[0]).toContain('"queue_ui_basic"');
    expect(logLines.join('\n')).not.toContain('basic-guess-');
  });

  it('wrong tokens in the sign-in form: a 429 page after 4 from one address', async () => {
    const from = '203.0.113.41';
    const agent = request.agent(t.app);
    for (let i = 0; i < 4; i++) {
      const { csrf } = await openForm(agent);
      await agent.post(`${QUEUE_UI_PATH}/login`).set('X-Forwarded-For', from).type('form').send({ token: `form-guess-${i}-0123456789`, csrf }).expect(401);
    }
    const { csrf } = await openForm(agent);
    const blocked = await agent.post(`${QUEUE_UI_PATH}/login`).set('X-Forwarded-For', from).type('form').send({ token: t.admin, csrf }).expect(429);
    expect(blocked.headers['content-type']).toMatch(/html/);
    expect(blocked.text).toMatch(/Too many failed sign-ins/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^hc_ops=\d/)]));
    expect(logLines.join('\n')).not.toContain('form-guess-');
  });

  it('never redirects off the UI after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example', '/v1/merchants']) {
      const agent = request.agent(t.app);
      const { csrf } = await openForm(agent);
      const res = await agent.post(`${QUEUE_UI_PATH}/login`).type('form').send({ token: t.admin, csrf, next }).expect(303);
      expect(res.headers.location).toBe(QUEUE_UI_PATH);
    }
  });

  it('an operator reads a failed job and retries it; the job data holds ids, nothing secret', async () => {
    await queues.charges.add('charge', { orderId: 'ord_opsretry1' }, { jobId: 'charge-ord_opsretry1', attempts: 1 });
    const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker('charges', async () => { throw new UnrecoverableError('card network down'); }, { connection: workerConnection, prefix: env.QUEUE_PREFIX });
    await new Promise<void>((resolve) => worker.once('failed', () => resolve()));
    await worker.close();
    workerConnection.disconnect();

    const auth = basic(t.admin);
    const job = await request(t.app).get(`${QUEUE_UI_PATH}/api/queues/charges/charge-ord_opsretry1`).set('Authorization', auth).expect(200);
    expect(job.body.job).toMatchObject({ id: 'charge-ord_opsretry1', data: { orderId: 'ord_opsretry1' }, failedReason: 'card network down' });
    expect(JSON.stringify(job.body.job.data)).not.toMatch(/sk_|whsec_|token|secret|password/i);

    await request(t.app).put(`${QUEUE_UI_PATH}/api/queues/charges/charge-ord_opsretry1/retry`).set('Authorization', auth).set('Content-Type', 'application/json').expect(204);
    expect(await (await queues.charges.getJob('charge-ord_opsretry1'))!.getState()).toBe('waiting');
  });
});
