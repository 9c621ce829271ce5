import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';

let t: TestApp;
let a: { id: string; auth: string };
let b: { id: string; auth: string };

beforeAll(async () => {
  t = await startTestApp();
  const ma = await t.createMerchant('A');
  const mb = await t.createMerchant('B');
  a = { id: ma.id, auth: `Bearer ${ma.apiKey}` };
  b = { id: mb.id, auth: `Bearer ${mb.apiKey}` };
});
afterAll(() => t.close());

const create = (auth: string, body: Record<string, unknown>, key?: string) => {
  const req = request(t.app).post('/v1/webhook_endpoints').set('Authorization', auth);
  if (key) req.set('Idempotency-Key', key);
  return req.send(body);
};

describe('/v1/webhook_endpoints', () => {
  it('shows the signing secret once, on create, and stores it only sealed', async () => {
    const res = await create(a.auth, { url: 'http://localhost:4567/hooks', enabled_events: ['order.paid', 'order.paid', 'product.sold_out'], description: 'shop' }).expect(201);
    expect(res.body).toMatchObject({
      object: 'webhook_endpoint', url: 'http://localhost:4567/hooks', description: 'shop', enabled_events: ['order.paid', 'product.sold_out'],
      disabled: false, disabled_reason: null, previous_secret_expires: null,
    });
    expect(res.body.id).toMatch(/^we_/);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    const got = await request(t.app).get(`/v1/webhook_endpoints/${res.body.id}`).set('Authorization', a.auth).expect(200);
    expect(got.body).not.toHaveProperty('secret');
    const list = await request(t.app).get('/v1/webhook_endpoints').set('Authorization', a.auth).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const stored = await t.db.query('SELECT * FROM webhook_endpoints WHERE id = $1', [res.body.id]);
    expect(JSON.stringify(stored.rows)).not.toContain(res.body.secret.slice(6));
  });

  it('an idempotent replay answers the same endpoint without its secret, and the idempotency store never holds it', async () => {
    const body = { url: 'http://127.0.0.1:9/replay', enabled_events: ['*'] };
    const first = await create(a.auth, body, 'create-endpoint-1').expect(201);
    const replay = await create(a.auth, body, 'create-endpoint-1').expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.body.secret).toBeNull();
    const rolled = await request(t.app).post(`/v1/webhook_endpoints/${first.body.id}/roll_secret`).set('Authorization', a.auth).set('Idempotency-Key', 'roll-1').send({}).expect(200);
    expect(rolled.body.secret).toMatch(/^whsec_/);
    const rolledAgain = await request(t.app).post(`/v1/webhook_endpoints/${first.body.id}/roll_secret`).set('Authorization', a.auth).set('Idempotency-Key', 'roll-1').send({}).expect(200);
    expect(rolledAgain.body.secret).toBeNull();
    const { rows } = await t.db.query('SELECT response_body FROM idempotency_keys');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(rows)).not.toContain('whsec_');
  });

  it('updates, rolls the secret (optionally keeping the old one a while) and deletes', async () => {
    const created = await create(a.auth, { url: 'http://localhost:4567/a', enabled_events: ['order.paid'] }).expect(201);
    const id = created.body.id;
    const updated = await request(t.app).patch(`/v1/webhook_endpoints/${id}`).set('Authorization', a.auth)
      .send({ url: 'http://[::1]:4567/b', enabled_events: ['*', 'order.paid'], description: null, disabled: true }).expect(200);
    expect(updated.body).toMatchObject({ url: 'http://[::1]:4567/b', enabled_events: ['*'], description: null, disabled: true, disabled_reason: null });

    const rolled = await request(t.app).post(`/v1/webhook_endpoints/${id}/roll_secret`).set('Authorization', a.auth).send({ previous_secret_expires_in: 3600 }).expect(200);
    expect(rolled.body.secret).toMatch(/^whsec_/);
    expect(rolled.body.secret).not.toBe(created.body.secret);
    expect(rolled.body.previous_secret_expires - Math.floor(Date.now() / 1000)).toBeGreaterThan(3590);
    const now = await request(t.app).post(`/v1/webhook_endpoints/${id}/roll_secret`).set('Authorization', a.auth).expect(200);
    expect(now.body.previous_secret_expires).toBeNull();
    const tooLong = await request(t.app).post(`/v1/webhook_endpoints/${id}/roll_secret`).set('Authorization', a.auth).send({ previous_secret_expires_in: 8 * 86400 }).expect(400);
    expect(tooLong.body.code).toBe('validation_failed');

    const deleted = await request(t.app).delete(`/v1/webhook_endpoints/${id}`).set('Authorization', a.auth).expect(200);
    expect(deleted.body).toEqual({ id, object: 'webhook_endpoint', deleted: true });
    await request(t.app).get(`/v1/webhook_endpoints/${id}`).set('Authorization', a.auth).expect(404);
  });

  it('refuses unknown event types, missing fields and URLs outside the policy with clear problems', async () => {
    const unknown = await create(a.auth, { url: 'http://localhost:1/x', enabled_events: ['order.teleported'] }).expect(400);
    expect(unknown.body.errors[0].field).toBe('enabled_events.0');
    const empty = await create(a.auth, { url: 'http://localhost:1/x', enabled_events: [] }).expect(400);
    expect(empty.body.code).toBe('validation_failed');
    for (const [url, says] of [
      ['http://example.com/hook', 'plain http is allowed only to localhost'],
      ['https://10.0.0.7/hook', 'private'],
      ['https://169.254.169.254/latest/meta-data', 'linkLocal'],
      ['https://user:pw@localhost/hook', 'credentials'],
      ['ftp://localhost/hook', 'https'],
      ['not a url', 'absolute URL'],
    ]) {
      const res = await create(a.auth, { url, enabled_events: ['*'] }).expect(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('url_not_allowed');
      expect(res.body.detail).toContain(says);
      expect(res.body.errors[0].field).toBe('url');
    }
  });

  it('keeps each merchant to its own endpoints and deliveries', async () => {
    const mine = await create(a.auth, { url: 'http://localhost:4567/mine', enabled_events: ['*'] }).expect(201);
    const id = mine.body.id;
    await request(t.app).get(`/v1/webhook_endpoints/${id}`).set('Authorization', b.auth).expect(404);
    await request(t.app).patch(`/v1/webhook_endpoints/${id}`).set('Authorization', b.auth).send({ disabled: true }).expect(404);
    await request(t.app).post(`/v1/webhook_endpoints/${id}/roll_secret`).set('Authorization', b.auth).expect(404);
    await request(t.app).get(`/v1/webhook_endpoints/${id}/deliveries`).set('Authorization', b.auth).expect(404);
    await request(t.app).post(`/v1/webhook_endpoints/${id}/deliveries/wd_abc/retry`).set('Authorization', b.auth).expect(404);
    await request(t.app).delete(`/v1/webhook_endpoints/${id}`).set('Authorization', b.auth).expect(404);
    const list = await request(t.app).get('/v1/webhook_endpoints').set('Authorization', b.auth).expect(200);
    expect(list.body.data).toEqual([]);
    await request(t.app).get(`/v1/webhook_endpoints/${id}`).set('Authorization', a.auth).expect(200);
  });

  it('pages the list newest first and caps endpoints per merchant', async () => {
    const c = await t.createMerchant('C');
    const auth = `Bearer ${c.apiKey}`;
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push((await create(auth, { url: `http://localhost:4567/${i}`, enabled_events: ['*'] }).expect(201)).body.id);
    const over = await create(auth, { url: 'http://localhost:4567/17', enabled_events: ['*'] }).expect(409);
    expect(over.body.code).toBe('endpoint_limit_reached');
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await request(t.app).get('/v1/webhook_endpoints').query({ limit: 5, ...(after ? { starting_after: after } : {}) }).set('Authorization', auth).expect(200);
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      if (!page.body.has_more) break;
      after = seen[seen.length - 1];
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
