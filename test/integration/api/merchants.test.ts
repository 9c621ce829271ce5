import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const admin = () => ({ Authorization: `Bearer ${t.admin}` });

describe('operator: merchants and API keys', () => {
  it('creates a merchant and shows its test key once, storing only a hash', async () => {
    const res = await request(t.app).post('/v1/merchants').set(admin()).send({ name: 'Mug Co' }).expect(201);
    expect(res.body).toMatchObject({ object: 'merchant', name: 'Mug Co' });
    expect(res.body.id).toMatch(/^mer_[A-Za-z0-9]{20}$/);
    expect(res.body.api_key).toMatch(/^hck_test_[A-Za-z0-9]{32}$/);
    const { rows } = await t.db.query('SELECT key_hash::text AS h, hint FROM api_keys WHERE merchant_id = $1', [res.body.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(res.body.api_key);
    expect(rows[0].hint).toBe(`hck_test_…${res.body.api_key.slice(-4)}`);

    const got = await request(t.app).get(`/v1/merchants/${res.body.id}`).set(admin()).expect(200);
    expect(got.body).toEqual({
      id: res.body.id, object: 'merchant', name: 'Mug Co', created: res.body.created,
      // Not onboarded to Stripe yet: no account, nothing enabled, the platform's fee rule.
      stripe_account: null, charges_enabled: false, payouts_enabled: false, details_submitted: false,
      requirements: { currently_due: [], eventually_due: [], past_due: [], disabled_reason: null, current_deadline: null },
      platform_fee: { bps: 0, fixed: {}, source: 'platform' },
    });
  });

  it('refuses merchant endpoints without the operator token, and merchant keys there', async () => {
    await request(t.app).post('/v1/merchants').send({ name: 'x' }).expect(401);
    const bad = await request(t.app).get('/v1/merchants').set('Authorization', 'Bearer not-the-token').expect(401);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.code).toBe('unauthorized');
    const m = await t.createMerchant();
    await request(t.app).get('/v1/merchants').set('Authorization', `Bearer ${m.apiKey}`).expect(401);
    await request(t.app).get('/v1/merchants').set('Authorization', `Basic ${t.admin}`).expect(401);
  });

  it('validates the name', async () => {
    const res = await request(t.app).post('/v1/merchants').set(admin()).send({ name: '   ' }).expect(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(res.body.errors[0].field).toBe('name');
    await request(t.app).post('/v1/merchants').set(admin()).send({}).expect(400);
    await request(t.app).post('/v1/merchants').set(admin()).send({ name: 'a'.repeat(201) }).expect(400);
  });

  it('issues more keys, lists them without secrets and revokes them at once', async () => {
    const m = await t.createMerchant('Keys Inc');
    const issued = await request(t.app).post(`/v1/merchants/${m.id}/api_keys`).set(admin()).expect(201);
    expect(issued.body.secret).toMatch(/^hck_test_/);
    expect(issued.body.secret).not.toBe(m.apiKey);
    const list = await request(t.app).get(`/v1/merchants/${m.id}/api_keys`).set(admin()).expect(200);
    expect(list.body.data).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(issued.body.secret);

    await request(t.app).get('/v1/products').set('Authorization', `Bearer ${issued.body.secret}`).expect(200);
    const revoked = await request(t.app).delete(`/v1/merchants/${m.id}/api_keys/${issued.body.id}`).set(admin()).expect(200);
    expect(revoked.body.revoked).toEqual(expect.any(Number));
    const after = await request(t.app).get('/v1/products').set('Authorization', `Bearer ${issued.body.secret}`).expect(401);
    expect(after.body.detail).toMatch(/revoked/);
    await request(t.app).get('/v1/products').set('Authorization', `Bearer ${m.apiKey}`).expect(200);
  });

  it('answers 404 for an unknown merchant or key', async () => {
    await request(t.app).get('/v1/merchants/mer_doesnotexist').set(admin()).expect(404);
    await request(t.app).post('/v1/merchants/mer_nope/api_keys').set(admin()).expect(404);
    const m = await t.createMerchant();
    const other = await t.createMerchant();
    const keys = await request(t.app).get(`/v1/merchants/${other.id}/api_keys`).set(admin()).expect(200);
    await request(t.app).delete(`/v1/merchants/${m.id}/api_keys/${keys.body.data[0].id}`).set(admin()).expect(404);
  });

  it('paginates merchants with limit and starting_after', async () => {
    for (let i = 0; i < 5; i++) await t.createMerchant(`Page ${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await request(t.app).get('/v1/merchants').query({ limit: 2, ...(cursor ? { starting_after: cursor } : {}) }).set(admin()).expect(200);
      expect(res.body.object).toBe('list');
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      if (!res.body.has_more) break;
      cursor = res.body.data.at(-1).id;
    }
    const all = await request(t.app).get('/v1/merchants').query({ limit: 100 }).set(admin()).expect(200);
    expect(seen).toEqual(all.body.data.map((m: { id: string }) => m.id));
    expect(new Set(seen).size).toBe(seen.length);
    await request(t.app).get('/v1/merchants').query({ limit: 0 }).set(admin()).expect(400);
    await request(t.app).get('/v1/merchants').query({ limit: 101 }).set(admin()).expect(400);
    await request(t.app).get('/v1/merchants').query({ color: 'red' }).set(admin()).expect(400);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
