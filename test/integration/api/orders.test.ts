import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';

let t: TestApp;
let m: { id: string; apiKey: string };
let productId: string;
let otherProductId: string;

async function insertOrder(merchantId: string, product: string, over: Record<string, unknown> = {}): Promise<string> {
  const id = `ord_${Math.random().toString(36).slice(2, 14)}`;
  const o = { status: 'paid', tweet_id: String(Date.now()) + Math.floor(Math.random() * 1e6), created_at: new Date(), ...over };
  await t.db.query(
    `INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, buyer_x_username, quantity, amount, currency, status, reply_status, created_at)
     VALUES ($1,$2,$3,$4,'2244994945','buyer',1,1800,'usd',$5,'posted',$6)`,
    [id, merchantId, product, o.tweet_id, o.status, o.created_at],
  );
  return id;
}

beforeAll(async () => {
  t = await startTestApp();
  m = await t.createMerchant('Orders Co');
  const mk = (tag: string) => request(t.app).post('/v1/products').set('Authorization', `Bearer ${m.apiKey}`).send({ name: tag, hashtag: tag, unit_amount: 1800, currency: 'usd' }).expect(201);
  productId = (await mk('BuyOrderMug')).body.id;
  otherProductId = (await mk('BuyOrderCap')).body.id;
});
afterAll(async () => {
  await t.close();
});

const auth = (k = m.apiKey) => ({ Authorization: `Bearer ${k}` });

describe('orders (read side)', () => {
  it('shows an order with the fields a merchant needs', async () => {
    const id = await insertOrder(m.id, productId, { tweet_id: '1860000000000000001' });
    const res = await request(t.app).get(`/v1/orders/${id}`).set(auth()).expect(200);
    expect(res.body).toMatchObject({
      id, object: 'order', status: 'paid', product: productId, quantity: 1, amount: 1800, currency: 'usd',
      tweet_id: '1860000000000000001', buyer_x_user_id: '2244994945', buyer_x_username: 'buyer', reply_status: 'posted',
      failure_code: null, payment_intent: null, amount_refunded: 0,
    });
  });

  it('filters by status, product and created range, and paginates', async () => {
    const m2 = await t.createMerchant('Filter Co');
    const p = (await request(t.app).post('/v1/products').set(auth(m2.apiKey)).send({ name: 'F', hashtag: 'BuyFilterMug', unit_amount: 500, currency: 'eur' }).expect(201)).body.id;
    const p2 = (await request(t.app).post('/v1/products').set(auth(m2.apiKey)).send({ name: 'G', hashtag: 'BuyFilterCap', unit_amount: 500, currency: 'eur' }).expect(201)).body.id;
    const old = await insertOrder(m2.id, p, { status: 'failed', created_at: new Date('2026-01-01T00:00:00Z') });
    const paid = [];
    for (let i = 0; i < 4; i++) paid.push(await insertOrder(m2.id, p, { created_at: new Date(Date.UTC(2026, 5, 1 + i)) }));
    const capOrder = await insertOrder(m2.id, p2, { created_at: new Date('2026-07-01T00:00:00Z') });

    const failed = await request(t.app).get('/v1/orders').query({ status: 'failed' }).set(auth(m2.apiKey)).expect(200);
    expect(failed.body.data.map((o: { id: string }) => o.id)).toEqual([old]);

    const byProduct = await request(t.app).get('/v1/orders').query({ product: p2 }).set(auth(m2.apiKey)).expect(200);
    expect(byProduct.body.data.map((o: { id: string }) => o.id)).toEqual([capOrder]);

    const june = await request(t.app).get('/v1/orders')
      .query({ 'created[gte]': Date.UTC(2026, 5, 2) / 1000, 'created[lte]': Date.UTC(2026, 5, 3) / 1000 }).set(auth(m2.apiKey)).expect(200);
    expect(june.body.data.map((o: { id: string }) => o.id)).toEqual([paid[2], paid[1]]);

    const page1 = await request(t.app).get('/v1/orders').query({ limit: 4 }).set(auth(m2.apiKey)).expect(200);
    expect(page1.body.has_more).toBe(true);
    const page2 = await request(t.app).get('/v1/orders').query({ limit: 4, starting_after: page1.body.data[3].id }).set(auth(m2.apiKey)).expect(200);
    expect(page2.body.has_more).toBe(false);
    expect([...page1.body.data, ...page2.body.data].map((o: { id: string }) => o.id)).toEqual([capOrder, ...[...paid].reverse(), old]);

    await request(t.app).get('/v1/orders').query({ status: 'shipped' }).set(auth(m2.apiKey)).expect(400);
    await request(t.app).get('/v1/orders').query({ 'created[gte]': 'yesterday' }).set(auth(m2.apiKey)).expect(400);
  });

  it("answers 404 for another merchant's order and lists none of them", async () => {
    const id = await insertOrder(m.id, otherProductId);
    const other = await t.createMerchant('Stranger');
    await request(t.app).get(`/v1/orders/${id}`).set(auth(other.apiKey)).expect(404);
    const list = await request(t.app).get('/v1/orders').set(auth(other.apiKey)).expect(200);
    expect(list.body).toEqual({ object: 'list', data: [], has_more: false, url: '/v1/orders' });
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
