import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import request from 'supertest';
import type { Express } from 'express';
import type { Job } from 'bullmq';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';
import { markOrderPaid } from '../../../src/orders/charges.store';
import { newId } from '../../../src/ids';
import { STRIPE_EVENTS_HANDLED } from '../../../src/webhooks/stripe.routes';
import { stripeEventsProcessor } from '../../../workers/stripe-events';
import { createProduct, placeTestOrder } from '../webhooks/helpers';

const SECRET = 'whsec_pendingrefund0123456789';
const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
let database: TestDatabase;
let emu: StripeEmulator;
let stripe: Stripe;
let rt: Runtime;
let app: Express;
let server: http.Server;
let m: { id: string; apiKey: string };
let product: string;

beforeAll(async () => {
  database = await createTestDatabase();
  emu = await startStripeEmulator();
  stripe = new Stripe('sk_test_pending', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_pending', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: emu.url, ...X_ENV });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Stripe (the emulator) tells the service about refunds over its real webhook, signed.
  emu.addWebhookEndpoint({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`, secret: SECRET, enabled_events: [...STRIPE_EVENTS_HANDLED] });
  const merchant = await request(app).post('/v1/merchants').set('Authorization', `Bearer ${config.ADMIN_TOKEN}`).send({ name: 'Pending Co' }).expect(201);
  m = { id: merchant.body.id, apiKey: merchant.body.api_key };
  product = await createProduct(app, m.apiKey, 'BuyPendingMug', 10);
});
afterAll(async () => {
  for (const q of Object.values(rt.queues)) await q.obliterate({ force: true });
  await new Promise((resolve) => server.close(resolve));
  await rt.close();
  await emu.close();
  await database.drop();
});

const auth = () => ({ Authorization: `Bearer ${m.apiKey}` });
const order = async (id: string) => (await request(app).get(`/v1/orders/${id}`).set(auth()).expect(200)).body;
const refunds = async (id: string) => (await request(app).get(`/v1/orders/${id}/refunds`).set(auth()).expect(200)).body.data;
const stock = async () => (await request(app).get(`/v1/products/${product}`).set(auth()).expect(200)).body.inventory_remaining as number;
const replies = async (id: string) => (await rt.db.query<{ text: string }>(`SELECT text FROM replies WHERE order_id = $1 AND kind = 'refunded'`, [id])).rows.map((r) => r.text);

/** An order paid with Stripe's test card whose refunds start pending. */
async function paidOrder(): Promise<string> {
  const customer = await stripe.customers.create({});
  const pm = await stripe.paymentMethods.attach('pm_card_pendingRefund', { customer: customer.id });
  const pi = await stripe.paymentIntents.create({ amount: 1800, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true });
  const { id } = await placeTestOrder(rt.db, m.id, product);
  await markOrderPaid(rt.db, id, pi.id, { id: newId('rep'), text: 'receipt' });
  return id;
}

/** Lets Stripe's webhooks land, applies every stored event the way the stripe-events worker does; the refund events' types. */
async function applyStripeEvents(): Promise<string[]> {
  await emu.webhooksIdle();
  const process = stripeEventsProcessor({ db: rt.db, charging: rt.charging, buyers: rt.buyers, payments: rt.payments, queues: rt.queues, log: rt.log });
  const jobs = await rt.queues.stripeEvents.getJobs(['waiting', 'prioritized', 'delayed']);
  const types: string[] = [];
  for (const job of jobs) {
    types.push((await process(job as Job)).type);
    await job.remove();
  }
  return types.filter((t) => t.includes('refund')).sort();
}

/** Stripe settling a pending refund some time later, over its control API. */
async function stripeSettles(stripeRefundId: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emu.url}/_emulator/refunds/${stripeRefundId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

describe('a refund Stripe answers pending', () => {
  it('settles when Stripe says it succeeded: the order, the stock and the buyer follow, once', async () => {
    const id = await paidOrder();
    const before = await stock();
    const created = await request(app).post(`/v1/orders/${id}/refunds`).set(auth()).send({ amount: 500, restock: true }).expect(201);
    expect(created.body).toMatchObject({ status: 'pending', amount: 500, stripe_refund: expect.stringMatching(/^re_/) });
    // charge.refunded counts the pending refund; the order waits for the refund itself.
    expect(await applyStripeEvents()).toEqual(['charge.refunded']);
    expect(await order(id)).toMatchObject({ status: 'paid', amount_refunded: 0 });
    expect(await replies(id)).toEqual([]);

    await stripeSettles(created.body.stripe_refund, { status: 'succeeded' });
    expect(await applyStripeEvents()).toEqual(['charge.refund.updated', 'refund.updated']);
    expect(await refunds(id)).toMatchObject([{ id: created.body.id, status: 'succeeded', failure_reason: null }]);
    expect(await order(id)).toMatchObject({ status: 'partially_refunded', amount_refunded: 500 });
    expect(await stock()).toBe(before + 1);
    expect(await replies(id)).toEqual([`Order ${id} for Mug BuyPendingMug was refunded ($5.00).`]);
    const events = (await request(app).get('/v1/events').query({ type: 'order.partially_refunded' }).set(auth()).expect(200)).body.data;
    expect(events.filter((e: { data: { object: { id: string } } }) => e.data.object.id === id)).toHaveLength(1);
  });

  it('becomes failed with Stripe\'s reason when Stripe says it failed, and the money counts as refundable again', async () => {
    const id = await paidOrder();
    const created = await request(app).post(`/v1/orders/${id}/refunds`).set(auth()).send({ amount: 700 }).expect(201);
    expect(created.body.status).toBe('pending');
    await applyStripeEvents();
    await stripeSettles(created.body.stripe_refund, { status: 'failed', failure_reason: 'expired_or_canceled_card' });
    await applyStripeEvents();
    expect(await refunds(id)).toMatchObject([{ id: created.body.id, status: 'failed', failure_reason: 'expired_or_canceled_card' }]);
    expect(await order(id)).toMatchObject({ status: 'paid', amount_refunded: 0 });
    expect(await replies(id)).toEqual([]);
    // Nothing is held back by the failed refund: the whole amount can be refunded.
    const again = await request(app).post(`/v1/orders/${id}/refunds`).set(auth()).send({}).expect(201);
    expect(again.body).toMatchObject({ amount: 1800, status: 'pending' });
  });
});
