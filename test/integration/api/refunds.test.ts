import Stripe from 'stripe';
import request from 'supertest';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { createStripeAdapter } from '../../../src/payments/stripe.adapter';
import { createChargingService } from '../../../src/orders/charging.service';
import { createLinkSigner } from '../../../src/links/links';
import { createLogger } from '../../../src/logger';
import { createRefundsService } from '../../../src/refunds/refunds.service';
import { markOrderPaid } from '../../../src/orders/charges.store';
import { newId } from '../../../src/ids';
import type { Followup } from '../../../src/queue/followups';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createProduct, placeTestOrder, readmeVerifier, startReceiver } from '../webhooks/helpers';
import { createSecretBox } from '../../../src/webhooks/secret-box';
import { createDispatcher } from '../../../src/webhooks/dispatcher';

let emu: StripeEmulator;
let stripe: Stripe;
let t: TestApp;
let m: { id: string; apiKey: string };
let product: string;
const enqueued: Followup[] = [];

beforeAll(async () => {
  emu = await startStripeEmulator();
  stripe = new Stripe('sk_test_refunds', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
  const payments = createStripeAdapter({ secretKey: 'sk_test_refunds', webhookSecret: () => undefined, apiBase: emu.url, maxNetworkRetries: 0 });
  t = await startTestApp({}, { payments, enqueueFollowups: async (f) => void enqueued.push(...f) });
  m = await t.createMerchant('Refunds Co');
  product = await createProduct(t.app, m.apiKey, 'BuyRefundMug', 10);
});
afterAll(async () => {
  await t.close();
  await emu.close();
});

const auth = (k = m.apiKey) => ({ Authorization: `Bearer ${k}` });
const refund = (id: string, body: Record<string, unknown>, key?: string, k = m.apiKey) => {
  const req = request(t.app).post(`/v1/orders/${id}/refunds`).set(auth(k));
  return (key ? req.set('Idempotency-Key', key) : req).send(body);
};
const order = async (id: string) => (await request(t.app).get(`/v1/orders/${id}`).set(auth()).expect(200)).body;
const stock = async () => (await request(t.app).get(`/v1/products/${product}`).set(auth()).expect(200)).body.inventory_remaining as number;

/** An order really paid through Stripe (the emulator), as the charges worker leaves it. */
async function paidOrder(): Promise<{ id: string; pi: string }> {
  const customer = await stripe.customers.create({});
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const pi = await stripe.paymentIntents.create({ amount: 1800, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true });
  const { id } = await placeTestOrder(t.db, m.id, product);
  await markOrderPaid(t.db, id, pi.id, { id: newId('rep'), text: 'receipt' });
  return { id, pi: pi.id };
}
const stripeRefunds = async (pi: string) => (await stripe.refunds.list({ payment_intent: pi })).data;
const replies = async (id: string) => (await t.db.query<{ text: string }>(`SELECT text FROM replies WHERE order_id = $1 AND kind = 'refunded' ORDER BY created_at`, [id])).rows.map((r) => r.text);

describe('POST /v1/orders/{id}/refunds', () => {
  it('refunds what remains by default, through Stripe, and tells the buyer', async () => {
    const { id, pi } = await paidOrder();
    const before = await stock();
    const res = await refund(id, { reason: 'requested_by_customer' }, 'refund-full').expect(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^re_/), object: 'refund', order: id, amount: 1800, currency: 'usd', reason: 'requested_by_customer', restock: false, status: 'succeeded', failure_reason: null });
    expect(await order(id)).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
    const atStripe = await stripeRefunds(pi);
    expect(atStripe.map((r) => [r.id, r.amount, r.metadata?.refund_id])).toEqual([[res.body.stripe_refund, 1800, res.body.id]]);
    expect(await replies(id)).toEqual([`Order ${id} for Mug BuyRefundMug was refunded ($18.00).`]);
    expect(enqueued.some((f) => f.kind === 'reply' && f.subject === res.body.id && f.replyKind === 'refunded')).toBe(true);
    expect(await stock()).toBe(before); // no restock asked

    // The same key replays the first answer: no second Stripe refund.
    const replay = await refund(id, { reason: 'requested_by_customer' }, 'refund-full').expect(201);
    expect(replay.body).toEqual(res.body);
    expect(await stripeRefunds(pi)).toHaveLength(1);
    // Nothing remains: a new refund is a clear conflict.
    expect((await refund(id, {}).expect(409)).body.code).toBe('order_not_refundable');

    const events = await request(t.app).get('/v1/events').query({ type: 'order.refunded' }).set(auth()).expect(200);
    expect(events.body.data.map((e: { data: { object: { id: string } } }) => e.data.object.id)).toContain(id);
  });

  it('refunds in part, then the rest with restock, and lists the refunds', async () => {
    const { id, pi } = await paidOrder();
    const before = await stock();
    const part = await refund(id, { amount: 500 }).expect(201);
    expect(part.body).toMatchObject({ amount: 500, status: 'succeeded' });
    expect(await order(id)).toMatchObject({ status: 'partially_refunded', amount_refunded: 500 });

    const tooMuch = await refund(id, { amount: 1301 }).expect(400);
    expect(tooMuch.body).toMatchObject({ code: 'refund_amount_too_large', errors: [{ field: 'amount', message: 'must be at most 1300' }] });

    const rest = await refund(id, { restock: true }).expect(201);
    expect(rest.body).toMatchObject({ amount: 1300, restock: true, status: 'succeeded' });
    expect(await order(id)).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
    expect(await stock()).toBe(before + 1);
    expect((await stripeRefunds(pi)).map((r) => r.amount).sort()).toEqual([1300, 500]);

    const list = await request(t.app).get(`/v1/orders/${id}/refunds`).set(auth()).expect(200);
    expect(list.body).toMatchObject({ object: 'list', has_more: false, url: `/v1/orders/${id}/refunds` });
    expect(list.body.data.map((r: { id: string; amount: number; status: string }) => [r.id, r.amount, r.status])).toEqual([[part.body.id, 500, 'succeeded'], [rest.body.id, 1300, 'succeeded']]);

    const events = (await request(t.app).get('/v1/events').query({ type: 'order.*', limit: 100 }).set(auth()).expect(200)).body.data
      .filter((e: { data: { object: { id: string } } }) => e.data.object.id === id).map((e: { type: string }) => e.type);
    expect(events.slice(0, 2)).toEqual(['order.refunded', 'order.partially_refunded']);
  });

  it('tells the buyer about every refund: a second partial refund gets its own reply, each exactly once', async () => {
    const { id } = await paidOrder();
    enqueued.length = 0;
    const first = await refund(id, { amount: 500 }).expect(201);
    const second = await refund(id, { amount: 300 }).expect(201);
    expect(await replies(id)).toEqual([
      `Order ${id} for Mug BuyRefundMug was refunded ($5.00).`,
      `Order ${id} for Mug BuyRefundMug was refunded ($3.00).`,
    ]);
    // One reply job per refund, each with an id of its own that a retry finds again.
    const jobs = enqueued.filter((f) => f.kind === 'reply' && f.replyKind === 'refunded').map((f) => (f.kind === 'reply' ? f.subject : ''));
    expect(jobs).toEqual([first.body.id, second.body.id]);
    // Settling the same refund again (a retried job, a late webhook) writes no second reply.
    const payments = createStripeAdapter({ secretKey: 'sk_test_refunds', webhookSecret: () => undefined, apiBase: emu.url, maxNetworkRetries: 0 });
    const again = createRefundsService({ db: t.db, payments, log: createLogger('silent') });
    await again.applyStripeRefund({ id: second.body.stripe_refund, amount: 300, status: 'succeeded', failureReason: null, refundId: second.body.id });
    expect(await replies(id)).toHaveLength(2);
  });

  it('records a refund Stripe refuses as failed with its reason, never a 500, and the order is unchanged', async () => {
    const { id, pi } = await paidOrder();
    emu.injectFault({ status: 400, path: '/v1/refunds', method: 'POST' });
    const res = await refund(id, { amount: 700 }).expect(201);
    expect(res.body).toMatchObject({ status: 'failed', amount: 700, stripe_refund: null, failure_reason: expect.stringContaining('Injected fault') });
    expect(await order(id)).toMatchObject({ status: 'paid', amount_refunded: 0 });
    expect(await stripeRefunds(pi)).toEqual([]);
    expect(await replies(id)).toEqual([]);
    // A failed refund holds nothing back: the whole amount is still refundable.
    expect((await refund(id, {}).expect(201)).body).toMatchObject({ amount: 1800, status: 'succeeded' });
  });

  it('leaves a refund pending when Stripe does not answer, and the sweep settles it with the same key', async () => {
    const { id, pi } = await paidOrder();
    emu.injectFault({ status: 500, path: '/v1/refunds', method: 'POST' });
    const res = await refund(id, { amount: 300 }).expect(201);
    expect(res.body).toMatchObject({ status: 'pending', amount: 300, stripe_refund: null });
    expect(await order(id)).toMatchObject({ status: 'paid', amount_refunded: 0 });
    // Still in flight, it counts against what remains.
    expect((await refund(id, { amount: 1501 }).expect(400)).body.errors[0].message).toBe('must be at most 1500');

    const payments = createStripeAdapter({ secretKey: 'sk_test_refunds', webhookSecret: () => undefined, apiBase: emu.url, maxNetworkRetries: 0 });
    const sweep = createRefundsService({ db: t.db, payments, log: createLogger('silent') });
    expect(await sweep.retryStale(0)).toBe(1);
    const list = (await request(t.app).get(`/v1/orders/${id}/refunds`).set(auth()).expect(200)).body.data;
    expect(list).toMatchObject([{ id: res.body.id, status: 'succeeded', amount: 300 }]);
    expect(await order(id)).toMatchObject({ status: 'partially_refunded', amount_refunded: 300 });
    expect((await stripeRefunds(pi)).map((r) => r.amount)).toEqual([300]);
    expect(await sweep.retryStale(0)).toBe(0);
  });

  it('lets two refunds racing refund no more than was paid', async () => {
    const { id, pi } = await paidOrder();
    const answers = await Promise.all([refund(id, { amount: 1000 }), refund(id, { amount: 1000 })]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400]);
    expect(await order(id)).toMatchObject({ status: 'partially_refunded', amount_refunded: 1000 });
    expect((await stripeRefunds(pi)).map((r) => r.amount)).toEqual([1000]);
  });

  it('refuses unpaid orders, and hides other merchants\' orders', async () => {
    const unpaid = (await placeTestOrder(t.db, m.id, product)).id;
    expect((await refund(unpaid, {}).expect(409)).body).toMatchObject({ code: 'order_not_refundable', detail: expect.stringContaining('reserved') });
    const { id } = await paidOrder();
    const other = await t.createMerchant('Stranger');
    await refund(id, {}, undefined, other.apiKey).expect(404);
    await request(t.app).get(`/v1/orders/${id}/refunds`).set(auth(other.apiKey)).expect(404);
    expect(await order(id)).toMatchObject({ status: 'paid', amount_refunded: 0 });
    await refund(id, { amount: 0 }).expect(400);
    await refund(id, { reason: 'because' }).expect(400);
  });

  it("keeps the refunded total when Stripe's charge.refunded for an earlier refund arrives late", async () => {
    const { id, pi } = await paidOrder();
    await refund(id, { amount: 500 }).expect(201);
    await refund(id, { amount: 400 }).expect(201);
    const payments = createStripeAdapter({ secretKey: 'sk_test_refunds', webhookSecret: () => undefined, apiBase: emu.url, maxNetworkRetries: 0 });
    const charging = createChargingService({ db: t.db, payments, signer: createLinkSigner('s'.repeat(32)), publicBaseUrl: 'http://localhost', log: createLogger('silent') });
    await charging.applyRefund(pi, 500); // the first refund's event, delivered after the second refund
    expect(await order(id)).toMatchObject({ status: 'partially_refunded', amount_refunded: 900 });
    await charging.applyRefund(pi, 1800); // a dashboard refund of the rest
    expect(await order(id)).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
  });

  it('delivers a signed order.refunded webhook that the README snippet verifies', async () => {
    const receiver = await startReceiver();
    try {
      const ep = await request(t.app).post('/v1/webhook_endpoints').set(auth()).send({ url: receiver.url, enabled_events: ['order.refunded', 'order.partially_refunded'] }).expect(201);
      const dispatcher = createDispatcher({ db: t.db, box: createSecretBox(t.config.SIGNING_SECRET), policy: { production: false }, log: createLogger('silent'),
        schedule: { baseMs: 20, maxMs: 80, windowMs: 60_000, timeoutMs: 2_000 } });
      const { id } = await paidOrder();
      await dispatcher.runOnce(); // earlier events out of the way: the snapshots below are taken as each refund lands
      await refund(id, { amount: 800 }).expect(201);
      await dispatcher.runOnce();
      await refund(id, {}).expect(201);
      await dispatcher.runOnce();
      const events = receiver.received.map((r) => readmeVerifier()(r.body, String(r.headers['hashtag-checkout-signature']), ep.body.secret));
      expect(events.filter((e) => e.data.object.id === id).map((e) => [e.type, e.data.object.id, e.data.object.amount_refunded])).toEqual([
        ['order.partially_refunded', id, 800], ['order.refunded', id, 1800],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
