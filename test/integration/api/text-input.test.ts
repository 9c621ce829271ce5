import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';

// Input the security review saw answered with 500: PostgreSQL refuses NUL in text and
// ill-formed UTF-16 in jsonb, and a timestamp past JS's date range is an Invalid Date.
let t: TestApp;
let auth: { Authorization: string };
beforeAll(async () => {
  t = await startTestApp();
  const m = await t.createMerchant('Text');
  auth = { Authorization: `Bearer ${m.apiKey}` };
});
afterAll(async () => {
  await t.close();
});

const product = { name: 'Blue Mug', hashtag: 'BuyTextMug', unit_amount: 1800, currency: 'usd' };

function expectRefused(res: request.Response, field: string) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('validation_failed');
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

describe('text the database cannot store is refused as bad input', () => {
  it.each([
    ['name', { ...product, name: 'Blue\u0000Mug' }, 'name'],
    ['description', { ...product, description: 'a\u0000b' }, 'description'],
    ['metadata value', { ...product, metadata: { color: 'blue\u0000' } }, 'metadata.color'],
    ['metadata key with NUL', { ...product, metadata: { 'co\u0000lor': 'blue' } }, 'metadata'],
    ['metadata key with a lone surrogate', { ...product, metadata: { 'x\ud800': 'blue' } }, 'metadata'],
    ['name with a lone surrogate', { ...product, name: 'Mug \udc00' }, 'name'],
    ['name with a control character', { ...product, name: 'Mug\u0007' }, 'name'],
  ])('POST /v1/products: %s', async (_what, body, field) => {
    expectRefused(await request(t.app).post('/v1/products').set(auth).send(body), field);
  });

  it('PATCH /v1/products/{id}: NUL in a metadata value or the description', async () => {
    const created = await request(t.app).post('/v1/products').set(auth).send(product).expect(201);
    const id = created.body.id as string;
    expectRefused(await request(t.app).patch(`/v1/products/${id}`).set(auth).send({ metadata: { k: '\u0000' } }), 'metadata.k');
    expectRefused(await request(t.app).patch(`/v1/products/${id}`).set(auth).send({ description: '\u0000' }), 'description');
  });

  it('POST /v1/merchants: NUL in the name', async () => {
    const res = await request(t.app).post('/v1/merchants').set('Authorization', `Bearer ${t.admin}`).send({ name: 'Mug\u0000Co' });
    expectRefused(res, 'name');
  });

  it('keeps tabs and line breaks in descriptions, and any script in names', async () => {
    const res = await request(t.app).post('/v1/products').set(auth)
      .send({ ...product, hashtag: 'BuyTextMug2', name: 'Tasse bleue ☕ 青い', description: 'Line one\nLine two\twith a tab' }).expect(201);
    expect(res.body.description).toBe('Line one\nLine two\twith a tab');
  });
});

describe('list queries', () => {
  it.each(['/v1/orders', '/v1/products', '/v1/merchants'])('%s refuses a starting_after with NUL', async (path) => {
    const token = path === '/v1/merchants' ? t.admin : auth.Authorization.slice(7);
    const res = await request(t.app).get(`${path}?starting_after=ord_a%00b`).set('Authorization', `Bearer ${token}`);
    expectRefused(res, 'starting_after');
  });

  it.each(['created[gte]', 'created[gt]', 'created[lte]', 'created[lt]'])('refuses %s beyond the representable dates', async (param) => {
    const res = await request(t.app).get(`/v1/orders?${encodeURIComponent(param)}=8640000000000`).set(auth);
    expectRefused(res, param);
  });

  it('still accepts a timestamp in the year 9999', async () => {
    await request(t.app).get('/v1/orders?created[gte]=253402300799').set(auth).expect(200);
  });
});

describe('deeply nested bodies', () => {
  // 45,000 levels fit in 90 kB; JSON.parse takes them, but anything recursive over the parsed body
  // (the idempotency fingerprint, a logger) overflows the stack.
  const deep = `{"metadata":${'['.repeat(45_000)}${']'.repeat(45_000)}}`;

  it.each([
    ['with an Idempotency-Key', { 'Idempotency-Key': 'deep-1' }],
    ['without one', {}],
  ])('POST /v1/products %s answers 400', async (_what, headers) => {
    const res = await request(t.app).post('/v1/products').set(auth).set(headers).set('Content-Type', 'application/json').send(deep);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.detail).toMatch(/nest/);
  });
});

describe('the spec', () => {
  it('describes every response above', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
