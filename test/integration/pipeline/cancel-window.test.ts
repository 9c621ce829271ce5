import Stripe from 'stripe';
import request from 'supertest';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { createStripeAdapter } from '../../../src/payments/stripe.adapter';
import { createLinkSigner } from '../../../src/links/links';
import { createLogger } from '../../../src/logger';
import { createRefundsService, type RefundsService } from '../../../src/refunds/refunds.service';
import { createMatchingService, type MatchingService } from '../../../src/posts/matching.service';
import { createCancelPath } from '../../../src/posts/cancel-request';
import { recordFulfillment } from '../../../src/orders/orders.store';
import { markOrderPaid } from '../../../src/orders/charges.store';
import { newId } from '../../../src/ids';
import type { InboundPost } from '../../../src/x/x.port';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { placeTestOrder } from '../webhooks/helpers';

let emu: StripeEmulator;
let stripe: Stripe;
let t: TestApp;
let m: { id: string; apiKey: string };
let matching: MatchingService;
let refunds: RefundsService;

beforeAll(async () => {
  emu = await startStripeEmulator();
  stripe = new Stripe('sk_test_cancel', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
  const payments = createStripeAdapter({ secretKey: 'sk_test_cancel', webhookSecret: () => undefined, apiBase: emu.url, maxNetworkRetries: 0 });
  t = await startTestApp({}, { payments });
  m = await t.createMerchant('Cancel Co');
  const signer = createLinkSigner('cancel-window-secret-0123456789abcdef');
  const rules = { publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true };
  matching = createMatchingService({ db: t.db, signer, ...rules, separate: createCancelPath({ db: t.db, ...rules }) });
  refunds = createRefundsService({ db: t.db, payments, log: createLogger('silent') });
});
afterAll(async () => {
  await t.close();
  await emu.close();
});

const auth = () => ({ Authorization: `Bearer ${m.apiKey}` });
const createProduct = (body: Record<string, unknown>) =>
  request(t.app).post('/v1/products').set(auth()).send({ name: 'Mug', unit_amount: 1800, currency: 'usd', shipping: 'none', ...body });

let seq = 5_000_000;
/** A #cancel post as the ingest hands it on (author 4242 placed the test orders). */
function cancelPost(text: string, over: Partial<InboundPost> = {}): InboundPost {
  const id = String(++seq);
  const tags = [...text.matchAll(/#(\w+)/g)].map((x) => x[1]!);
  const mentions = [...text.matchAll(/@(\w+)/g)].map((x) => ({ username: x[1]! }));
  return { id, text, authorId: '4242', authorUsername: 'alice', createdAt: new Date().toISOString(), hashtags: tags, mentions, referenced: [], editHistoryIds: [id], ...over };
}

/** What the tweets worker does with a post: match it, then ask Stripe for the refunds it wrote. */
async function deliver(post: InboundPost) {
  const r = await matching.handlePost(post);
  for (const id of r.refundIds ?? []) await refunds.processPending(id);
  return r;
}

/** An order paid through the Stripe emulator, its receipt posted on X as `receiptXId`. */
async function paidOrder(productId: string): Promise<{ id: string; pi: string; receiptXId: string }> {
  const customer = await stripe.customers.create({});
  const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  const pi = await stripe.paymentIntents.create({ amount: 1800, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true });
  const { id } = await placeTestOrder(t.db, m.id, productId);
  const paid = await markOrderPaid(t.db, id, pi.id, { id: newId('rep'), text: 'receipt' });
  const receiptXId = String(++seq);
  await t.db.query(`UPDATE replies SET status = 'posted', x_reply_id = $2 WHERE id = $1`, [paid.receipt_reply_id, receiptXId]);
  return { id, pi: pi.id, receiptXId };
}

const stripeRefunds = async (pi: string) => (await stripe.refunds.list({ payment_intent: pi })).data;
const repliesTo = async (tweetId: string) => (await t.db.query('SELECT kind, text FROM replies WHERE in_reply_to_tweet_id = $1', [tweetId])).rows;
const orderRow = async (id: string) => (await t.db.query('SELECT status, amount_refunded FROM orders WHERE id = $1', [id])).rows[0];
const outcomeOf = async (tweetId: string) => (await t.db.query('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [tweetId])).rows[0];

describe('product fields for the buyer cancel window', () => {
  it('defaults to 15 minutes, takes 0 (off) up to a week, and a support email; refuses the rest with 400', async () => {
    const made = await createProduct({ hashtag: 'BuyWindowMug' }).expect(201);
    expect(made.body).toMatchObject({ cancel_window_minutes: 15, support_email: null });
    const patched = await request(t.app).patch(`/v1/products/${made.body.id}`).set(auth()).send({ cancel_window_minutes: 0, support_email: 'help@mug.example' }).expect(200);
    expect(patched.body).toMatchObject({ cancel_window_minutes: 0, support_email: 'help@mug.example' });
    expect((await request(t.app).get(`/v1/products/${made.body.id}`).set(auth()).expect(200)).body).toMatchObject({ cancel_window_minutes: 0 });
    for (const bad of [{ cancel_window_minutes: -1 }, { cancel_window_minutes: 10_081 }, { cancel_window_minutes: 1.5 }, { support_email: 'not an email' }]) {
      const res = await createProduct({ hashtag: 'BuyWindowBad', ...bad }).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('refuses #cancel and its look-alikes as a product hashtag: buyers post it to cancel', async () => {
    for (const hashtag of ['cancel', '#Cancel', 'CANCEL', 'cаncel' /* Cyrillic а */]) {
      const res = await createProduct({ hashtag }).expect(400);
      expect(res.body).toMatchObject({ code: 'hashtag_reserved' });
      expect(res.body.detail).toMatch(/reserved/);
    }
    const other = await createProduct({ hashtag: 'BuyNotCancel' }).expect(201);
    expect((await request(t.app).patch(`/v1/products/${other.body.id}`).set(auth()).send({ hashtag: 'Cancel' }).expect(400)).body.code).toBe('hashtag_reserved');
  });
});

describe('a buyer\'s #cancel post', () => {
  let product: string;
  beforeAll(async () => {
    product = (await createProduct({ hashtag: 'BuyTenMinutes', inventory: 10, cancel_window_minutes: 10 }).expect(201)).body.id;
  });

  it('is measured against the post\'s own time: after the window a closed reply, within it a refund', async () => {
    const stock = async () => (await request(t.app).get(`/v1/products/${product}`).set(auth()).expect(200)).body.inventory_remaining;
    const before = await stock();
    const order = await paidOrder(product);
    expect(await stock()).toBe(before - 1);
    const late = cancelPost('@shop #cancel', { referenced: [{ type: 'replied_to', id: order.receiptXId }], createdAt: new Date(Date.now() + 11 * 60_000).toISOString() });
    expect(await deliver(late)).toMatchObject({ outcome: 'rejected', reason: 'cancel_window_closed' });
    expect(await repliesTo(late.id)).toEqual([{ kind: 'cancel_window_closed', text: expect.stringContaining('https://shop.test/account') }]);
    expect(await stripeRefunds(order.pi)).toEqual([]);

    const inTime = cancelPost('@shop #cancel', { referenced: [{ type: 'replied_to', id: order.receiptXId }], createdAt: new Date(Date.now() + 9 * 60_000).toISOString() });
    expect(await deliver(inTime)).toMatchObject({ outcome: 'canceled', reason: 'refund_requested', orderIds: [order.id] });
    expect((await stripeRefunds(order.pi)).map((r) => [r.amount, r.status])).toEqual([[1800, 'succeeded']]);
    expect(await orderRow(order.id)).toEqual({ status: 'refunded', amount_refunded: 1800 });
    expect(await stock()).toBe(before);
    expect(await repliesTo(inTime.id)).toEqual([{ kind: 'cancel_confirmed', text: `Canceled: order ${order.id} for Mug. $18.00 is on its way back to your card.` }]);
  });

  it('delivered twice (stream and backfill, even at once) refunds once, replies once, has one outcome', async () => {
    const order = await paidOrder(product);
    const post = cancelPost(`@shop #cancel ${order.id}`);
    await Promise.all([deliver(post), deliver(post)]);
    await deliver(post);
    expect(await stripeRefunds(order.pi)).toHaveLength(1);
    expect((await t.db.query('SELECT count(*)::int AS n FROM refunds WHERE order_id = $1', [order.id])).rows[0].n).toBe(1);
    expect(await repliesTo(post.id)).toHaveLength(1);
    expect(await outcomeOf(post.id)).toEqual({ outcome: 'canceled', reason: 'refund_requested' });
    // Another #cancel for the same order asks for nothing more.
    const again = cancelPost(`@shop #cancel ${order.id} please`);
    expect(await deliver(again)).toMatchObject({ outcome: 'ignored', reason: 'order_already_closed' });
    expect(await stripeRefunds(order.pi)).toHaveLength(1);
  });

  it('a crash after commit, before Stripe was asked: the redelivered post asks, with the same key', async () => {
    const order = await paidOrder(product);
    const post = cancelPost('@shop #cancel', { referenced: [{ type: 'replied_to', id: order.receiptXId }] });
    const first = await matching.handlePost(post); // the worker died here
    expect(first.refundIds).toHaveLength(1);
    expect(await stripeRefunds(order.pi)).toEqual([]);
    const redelivered = await deliver(post);
    expect(redelivered.refundIds).toEqual(first.refundIds);
    await deliver(post);
    expect((await stripeRefunds(order.pi)).map((r) => r.metadata?.refund_id)).toEqual(first.refundIds);
    expect(await orderRow(order.id)).toMatchObject({ status: 'refunded' });
  });

  it('Stripe refuses the refund: it is failed with the reason, the merchant gets order.refund_failed, the buyer is told', async () => {
    const order = await paidOrder(product);
    // Refunded in Stripe's dashboard meanwhile: Stripe refuses a second refund of the charge.
    await stripe.refunds.create({ payment_intent: order.pi });
    const post = cancelPost('@shop #cancel', { referenced: [{ type: 'replied_to', id: order.receiptXId }] });
    expect(await deliver(post)).toMatchObject({ outcome: 'canceled', reason: 'refund_requested' });
    const listed = await request(t.app).get(`/v1/orders/${order.id}/refunds`).set(auth()).expect(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ status: 'failed', failure_reason: expect.stringContaining('charge_already_refunded') })]);
    expect(await repliesTo(post.id)).toEqual([{ kind: 'cancel_failed', text: `Order ${order.id} for Mug could not be refunded automatically. The shop has been told and will sort it out with you.` }]);
    const events = await request(t.app).get('/v1/events').query({ type: 'order.refund_failed' }).set(auth()).expect(200);
    expect(events.body.data.filter((e: { data: { object: { id: string } } }) => e.data.object.id === order.id)).toHaveLength(1);
    // Asked again (a redelivery), nothing more happens.
    await deliver(post);
    expect(await repliesTo(post.id)).toHaveLength(1);
  });

  it('while a buyer\'s #cancel refund is with Stripe, the merchant cannot fulfil the order (409 order_cancel_requested)', async () => {
    const order = await paidOrder(product);
    const post = cancelPost('@shop #cancel', { referenced: [{ type: 'replied_to', id: order.receiptXId }] });
    await matching.handlePost(post); // the refund is written; Stripe not asked yet
    const res = await request(t.app).post(`/v1/orders/${order.id}/fulfillments`).set(auth()).set('Idempotency-Key', `ful-${order.id}`).send({ carrier: 'UPS' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'order_cancel_requested' });
    await deliver(post);
    expect(await orderRow(order.id)).toMatchObject({ status: 'refunded' });
  });

  it('after fulfilment the window is closed, whatever the time', async () => {
    const order = await paidOrder(product);
    await recordFulfillment(t.db, order.id, { carrier: 'UPS', trackingNumber: null, trackingUrl: null });
    const post = cancelPost('@shop #cancel', { referenced: [{ type: 'replied_to', id: order.receiptXId }] });
    expect(await deliver(post)).toMatchObject({ outcome: 'rejected', reason: 'order_fulfilled' });
    expect((await repliesTo(post.id)).map((r) => r.kind)).toEqual(['cancel_window_closed']);
    expect(await stripeRefunds(order.pi)).toEqual([]);
  });

  it('naming no order: a buyer of ours gets the how-to, a stranger no reply', async () => {
    const buyer = cancelPost('@shop #cancel');
    expect(await deliver(buyer)).toMatchObject({ outcome: 'ignored', reason: 'cancel_order_not_found' });
    expect((await repliesTo(buyer.id)).map((r) => r.text)).toEqual(['To cancel an order, reply #cancel to its receipt, or post @shop #cancel with the order number.']);
    const stranger = cancelPost('@shop #cancel culture', { authorId: '999999', authorUsername: 'someone' });
    expect(await deliver(stranger)).toMatchObject({ outcome: 'ignored', reason: 'cancel_order_not_found' });
    expect(await repliesTo(stranger.id)).toEqual([]);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded, (r) => r.path.startsWith('/v1/'))).toEqual([]);
  });
});
