import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createProduct, payTestOrder, placeTestOrder } from './helpers';

let t: TestApp;
let a: { id: string; apiKey: string; auth: string };
let b: { auth: string };
const orders: string[] = [];
let product: string;

beforeAll(async () => {
  t = await startTestApp();
  const ma = await t.createMerchant('A');
  a = { ...ma, auth: `Bearer ${ma.apiKey}` };
  b = { auth: `Bearer ${(await t.createMerchant('B')).apiKey}` };
  product = await createProduct(t.app, a.apiKey, 'BuyTwoLamps', 2);
  for (let i = 0; i < 3; i++) orders.push((await placeTestOrder(t.db, a.id, product)).id);
  await payTestOrder(t.db, orders[0]!);
});
afterAll(() => t.close());

const list = (auth: string, query: Record<string, string | number> = {}) => request(t.app).get('/v1/events').query(query).set('Authorization', auth);

describe('/v1/events', () => {
  it('lists every order change of the catalogue, newest first, as Stripe-style envelopes', async () => {
    const res = await list(a.auth, { limit: 100 }).expect(200);
    expect(res.body).toMatchObject({ object: 'list', has_more: false, url: '/v1/events' });
    // Internal steps (reserved, charging) are not events; the last unit taken is product.sold_out.
    expect(res.body.data.map((e: { type: string; data: { object: { id: string } } }) => [e.type, e.data.object.id])).toEqual([
      ['order.paid', orders[0]],
      ['order.sold_out', orders[2]],
      ['order.created', orders[2]],
      ['product.sold_out', product],
      ['order.created', orders[1]],
      ['order.created', orders[0]],
    ]);
    const paid = res.body.data[0];
    expect(paid).toMatchObject({ object: 'event', id: expect.stringMatching(/^evt_\d+$/), created: expect.any(Number) });
    const order = await request(t.app).get(`/v1/orders/${orders[0]}`).set('Authorization', a.auth).expect(200);
    expect(paid.data.object).toEqual(order.body);
    expect(res.body.data[3].data.object).toMatchObject({ object: 'product', id: product, inventory_remaining: 0 });
  });

  it('pages with limit and starting_after and filters by type, prefix and time', async () => {
    const all = (await list(a.auth, { limit: 100 }).expect(200)).body.data.map((e: { id: string }) => e.id);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await list(a.auth, { limit: 4, ...(after ? { starting_after: after } : {}) }).expect(200);
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      if (!page.body.has_more) break;
      after = seen[seen.length - 1];
    }
    expect(seen).toEqual(all);

    const created = await list(a.auth, { type: 'order.created' }).expect(200);
    expect(created.body.data.map((e: { data: { object: { id: string } } }) => e.data.object.id)).toEqual([...orders].reverse());
    expect((await list(a.auth, { type: 'product.*' }).expect(200)).body.data).toHaveLength(1);
    expect((await list(a.auth, { type: 'order.*' }).expect(200)).body.data).toHaveLength(5);
    expect((await list(a.auth, { type: 'order.payment_failed' }).expect(200)).body.data).toEqual([]);
    const now = Math.floor(Date.now() / 1000);
    expect((await list(a.auth, { 'created[gt]': now + 60 }).expect(200)).body.data).toEqual([]);
    expect((await list(a.auth, { 'created[gte]': now - 600, 'created[lte]': now + 60, limit: 100 }).expect(200)).body.data).toHaveLength(6);

    const badType = await list(a.auth, { type: 'order.charging' }).expect(400);
    expect(badType.body.errors[0].field).toBe('type');
    const badCursor = await list(a.auth, { starting_after: 'ord_123' }).expect(400);
    expect(badCursor.body.errors[0].field).toBe('starting_after');
  });

  it('retrieves one event, and only the merchant who owns it sees it', async () => {
    const [latest] = (await list(a.auth).expect(200)).body.data;
    const one = await request(t.app).get(`/v1/events/${latest.id}`).set('Authorization', a.auth).expect(200);
    expect(one.body).toEqual(latest);
    const foreign = await request(t.app).get(`/v1/events/${latest.id}`).set('Authorization', b.auth).expect(404);
    expect(foreign.body.code).toBe('resource_missing');
    expect((await list(b.auth).expect(200)).body.data).toEqual([]);
    await request(t.app).get('/v1/events/evt_999999999').set('Authorization', a.auth).expect(404);
    await request(t.app).get('/v1/events/evt_abc').set('Authorization', a.auth).expect(404);
    // An internal step has a row but is not an event.
    const { rows } = await t.db.query(`SELECT id FROM order_events WHERE type = 'order.reserved' LIMIT 1`);
    await request(t.app).get(`/v1/events/evt_${rows[0].id}`).set('Authorization', a.auth).expect(404);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
