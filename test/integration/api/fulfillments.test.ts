import request from 'supertest';
import twitter from 'twitter-text';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createProduct, payTestOrder, placeTestOrder } from '../webhooks/helpers';
import type { Followup } from '../../../src/queue/followups';

let t: TestApp;
let m: { id: string; apiKey: string };
let product: string;
const enqueued: Followup[] = [];

beforeAll(async () => {
  t = await startTestApp({}, { enqueueFollowups: async (f) => void enqueued.push(...f) });
  m = await t.createMerchant('Ships Co');
  product = await createProduct(t.app, m.apiKey, 'BuyShipMug', 50);
});
afterAll(() => t.close());

const auth = (k = m.apiKey) => ({ Authorization: `Bearer ${k}` });
const fulfil = (id: string, body: Record<string, unknown>, key?: string) => {
  const req = request(t.app).post(`/v1/orders/${id}/fulfillments`).set(auth());
  return (key ? req.set('Idempotency-Key', key) : req).send(body);
};
async function paidOrder(): Promise<string> {
  const { id } = await placeTestOrder(t.db, m.id, product);
  await payTestOrder(t.db, id);
  return id;
}
const replyOf = async (orderId: string) =>
  (await t.db.query<{ id: string; text: string; status: string }>(`SELECT id, text, status FROM replies WHERE order_id = $1 AND kind = 'fulfilled'`, [orderId])).rows;

describe('POST /v1/orders/{id}/fulfillments', () => {
  it('marks a paid order fulfilled, keeps the payment status, tells the buyer with the tracking link and emits order.fulfilled', async () => {
    const id = await paidOrder();
    const res = await fulfil(id, { carrier: 'UPS', tracking_number: '1Z999AA10123456784', tracking_url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784' }, 'ship-1').expect(200);
    expect(res.body).toMatchObject({
      id, status: 'paid', fulfillment_status: 'fulfilled',
      fulfillment: { carrier: 'UPS', tracking_number: '1Z999AA10123456784', tracking_url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784', fulfilled: expect.any(Number) },
    });
    expect((await request(t.app).get(`/v1/orders/${id}`).set(auth()).expect(200)).body).toEqual(res.body);

    const [reply] = await replyOf(id);
    expect(reply!.text).toBe(`On its way: Mug BuyShipMug, order ${id}, has shipped with UPS (tracking number 1Z999AA10123456784). Track it: https://www.ups.com/track?tracknum=1Z999AA10123456784`);
    expect(enqueued).toContainEqual({ kind: 'reply', replyId: reply!.id, replyKind: 'fulfilled', subject: id });

    const events = await request(t.app).get('/v1/events').query({ type: 'order.fulfilled' }).set(auth()).expect(200);
    expect(events.body.data.map((e: { data: { object: { id: string; fulfillment_status: string } } }) => [e.data.object.id, e.data.object.fulfillment_status])).toEqual([[id, 'fulfilled']]);

    // The same key and body replay the first answer; nothing is written twice.
    const replay = await fulfil(id, { carrier: 'UPS', tracking_number: '1Z999AA10123456784', tracking_url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784' }, 'ship-1').expect(200);
    expect(replay.body).toEqual(res.body);
    expect(await replyOf(id)).toHaveLength(1);
  });

  it('works with no details at all', async () => {
    const id = await paidOrder();
    const res = await fulfil(id, {}).expect(200);
    expect(res.body.fulfillment).toEqual({ carrier: null, tracking_number: null, tracking_url: null, fulfilled: expect.any(Number) });
    expect((await replyOf(id))[0]!.text).toBe(`On its way: Mug BuyShipMug, order ${id}, has shipped.`);
  });

  it('refuses with 409 an order that is not paid, refunded, or fulfilled already', async () => {
    const unpaid = (await placeTestOrder(t.db, m.id, product)).id;
    const r1 = await fulfil(unpaid, {}).expect(409);
    expect(r1.body).toMatchObject({ code: 'order_not_fulfillable', detail: expect.stringContaining('reserved') });
    expect(r1.headers['content-type']).toMatch(/application\/problem\+json/);

    const refunded = await paidOrder();
    await t.db.query(`UPDATE orders SET status = 'refunded', amount_refunded = amount WHERE id = $1`, [refunded]);
    expect((await fulfil(refunded, {}).expect(409)).body.code).toBe('order_not_fulfillable');

    const twice = await paidOrder();
    await fulfil(twice, {}).expect(200);
    expect((await fulfil(twice, { carrier: 'DHL' }).expect(409)).body.code).toBe('order_already_fulfilled');
    for (const id of [unpaid, refunded]) expect(await replyOf(id)).toEqual([]);
  });

  it("answers 404 for another merchant's order and changes nothing", async () => {
    const id = await paidOrder();
    const other = await t.createMerchant('Stranger');
    await request(t.app).post(`/v1/orders/${id}/fulfillments`).set(auth(other.apiKey)).send({}).expect(404);
    expect((await request(t.app).get(`/v1/orders/${id}`).set(auth()).expect(200)).body.fulfillment_status).toBe('unfulfilled');
  });

  it('accepts only an https tracking link, and merchant text adds no mention, hashtag or link to the reply', async () => {
    const id = await paidOrder();
    for (const tracking_url of ['not a url', '\u0007', 'http://ups.com/t/1', 'javascript:alert(1)', 'https://user:pw@ups.com/t', 'ftp://ups.com/x', 'https://ups.com/a b']) {
      const res = await fulfil(id, { tracking_url }).expect(400);
      expect(res.body.errors[0].field).toBe('tracking_url');
    }
    await fulfil(id, { carrier: 'x'.repeat(51) }).expect(400);
    await fulfil(id, { nope: 1 }).expect(400);

    await fulfil(id, { carrier: '@XSupport #FreeStuff evil.com', tracking_number: '$TSLA @elonmusk', tracking_url: 'https://track.aftership.com/p?id=1' }).expect(200);
    const text = (await replyOf(id))[0]!.text;
    expect(text).toContain('XSupport');
    const entities = twitter.extractEntitiesWithIndices(text);
    expect(entities.map((e) => ('url' in e ? e.url : JSON.stringify(e)))).toEqual(['https://track.aftership.com/p?id=1']);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
