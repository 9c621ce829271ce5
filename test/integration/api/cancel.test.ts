import request from 'supertest';
import { withTransaction } from '../../../src/db/pool';
import { newId } from '../../../src/ids';
import { insertOrder } from '../../../src/orders/orders.store';
import type { Followup } from '../../../src/queue/followups';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createProduct, payTestOrder, placeTestOrder } from '../webhooks/helpers';

let t: TestApp;
let m: { id: string; apiKey: string };
let product: string;
const enqueued: Followup[] = [];

beforeAll(async () => {
  t = await startTestApp({}, { enqueueFollowups: async (f) => void enqueued.push(...f) });
  m = await t.createMerchant('Cancel Co');
  product = await createProduct(t.app, m.apiKey, 'BuyCancelMug', 3);
});
afterAll(() => t.close());

const auth = (k = m.apiKey) => ({ Authorization: `Bearer ${k}` });
const cancel = (id: string, key?: string, k = m.apiKey) => {
  const req = request(t.app).post(`/v1/orders/${id}/cancel`).set(auth(k));
  return key ? req.set('Idempotency-Key', key).send({}) : req.send();
};
const stock = async () => (await request(t.app).get(`/v1/products/${product}`).set(auth()).expect(200)).body.inventory_remaining as number;
const replies = async (id: string) => (await t.db.query<{ text: string }>(`SELECT text FROM replies WHERE order_id = $1 AND kind = 'canceled'`, [id])).rows.map((r) => r.text);

describe('POST /v1/orders/{id}/cancel', () => {
  it('cancels a reserved order: its unit goes back, the buyer is told, order.canceled follows', async () => {
    const before = await stock();
    const { id } = await placeTestOrder(t.db, m.id, product);
    expect(await stock()).toBe(before - 1);
    const res = await cancel(id, 'cancel-1').expect(200);
    expect(res.body).toMatchObject({ id, status: 'canceled', failure_code: 'canceled_by_merchant', reply_status: 'pending' });
    expect(await stock()).toBe(before);
    expect(await replies(id)).toEqual([`The shop canceled order ${id} for Mug BuyCancelMug. You have not been charged.`]);
    expect(enqueued).toContainEqual(expect.objectContaining({ kind: 'reply', replyKind: 'canceled', subject: id }));
    const events = await request(t.app).get('/v1/events').query({ type: 'order.canceled' }).set(auth()).expect(200);
    expect(events.body.data.map((e: { data: { object: { id: string } } }) => e.data.object.id)).toEqual([id]);
    // Replay: the same answer, nothing done twice; without the key, a clear conflict.
    expect((await cancel(id, 'cancel-1').expect(200)).body).toEqual(res.body);
    expect(await stock()).toBe(before);
    expect((await cancel(id).expect(409)).body.code).toBe('order_not_cancelable');
  });

  it('cancels an order waiting for signup or for the buyer to authenticate', async () => {
    const tweet = String(Date.now());
    const waiting = await withTransaction(t.db, (tx) => insertOrder(tx, {
      id: newId('ord'), merchantId: m.id, productId: product, tweetId: tweet, chainId: tweet, buyerXUserId: '77', buyerXUsername: 'bob', buyerId: null,
      quantity: 1, amount: 1800, currency: 'usd', status: 'awaiting_signup', stockHeld: false,
    }));
    const before = await stock();
    expect((await cancel(waiting!.id).expect(200)).body.status).toBe('canceled');
    expect(await stock()).toBe(before); // it held no unit

    const { id } = await placeTestOrder(t.db, m.id, product);
    await t.db.query(`UPDATE orders SET status = 'requires_action' WHERE id = $1`, [id]);
    expect((await cancel(id).expect(200)).body.status).toBe('canceled');
    expect(await stock()).toBe(before);
  });

  it('refuses a paid order or one being charged, and another merchant\'s order', async () => {
    const paid = (await placeTestOrder(t.db, m.id, product)).id;
    await payTestOrder(t.db, paid);
    const res = await cancel(paid).expect(409);
    expect(res.body).toMatchObject({ code: 'order_not_cancelable', detail: expect.stringContaining('is paid') });
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);

    const charging = (await placeTestOrder(t.db, m.id, product)).id;
    await t.db.query(`UPDATE orders SET status = 'charging' WHERE id = $1`, [charging]);
    expect((await cancel(charging).expect(409)).body.code).toBe('order_not_cancelable');

    const other = await t.createMerchant('Stranger');
    await t.db.query(`UPDATE orders SET status = 'reserved' WHERE id = $1`, [charging]);
    await cancel(charging, undefined, other.apiKey).expect(404);
    expect((await request(t.app).get(`/v1/orders/${charging}`).set(auth()).expect(200)).body.status).toBe('reserved');
    await request(t.app).post(`/v1/orders/${charging}/cancel`).set(auth()).send({ reason: 'x' }).expect(400);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
