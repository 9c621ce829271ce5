import request from 'supertest';
import type Stripe from 'stripe';
import { withTransaction } from '../../../src/db/pool';
import { newId } from '../../../src/ids';
import { placeOrder } from '../../../src/orders/orders.store';
import { createChargeSplitter } from '../../../src/merchants/charge-split';
import { conformanceProblems } from '../../support/openapi-recorder';
import { startConnectKit, type ConnectKit } from './kit';

jest.setTimeout(60_000);

let kit: ConnectKit;
let shop: { id: string; apiKey: string; account: string };
const BUYER = '777000111';
let tweet = 9_000_000;

beforeAll(async () => {
  kit = await startConnectKit(); // PLATFORM_FEE_BPS=290, PLATFORM_FEE_FIXED=usd:30,eur:25,jpy:0
  const m = await kit.createMerchant('Split Goods');
  const link = await request(kit.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
  await kit.submitOnboarding(link.body.url, 'finish');
  await kit.processStripeEvents();
  shop = { ...m, account: link.body.account };
  await request(kit.app).post('/v1/sandbox/buyers').set('Authorization', `Bearer ${kit.admin}`).send({ x_user_id: BUYER, x_username: 'splitbuyer', payment_method: 'pm_card_visa' }).expect(201);
});
afterAll(async () => {
  await kit?.close();
});

function key(apiKey: string) {
  return { Authorization: `Bearer ${apiKey}` };
}

/** A reserved order for a linked buyer, as matching leaves it, then charged by the charging service. */
async function paidOrder(merchant: { id: string; apiKey: string }, currency: string, amount: number) {
  const hashtag = `BuySplit${currency}${++tweet}`;
  const product = await request(kit.app).post('/v1/products').set(key(merchant.apiKey))
    .send({ name: `Lamp ${currency}`, hashtag, unit_amount: amount, currency, shipping: 'none' }).expect(201);
  const placed = await withTransaction(kit.rt.db, (tx) => placeOrder(tx, {
    id: newId('ord'), merchantId: merchant.id, productId: product.body.id, tweetId: String(tweet), chainId: String(tweet),
    buyerXUserId: BUYER, buyerXUsername: 'splitbuyer', buyerId: null, quantity: 1, amount, currency,
  }, { id: newId('rep'), text: 'sold out' }));
  await kit.rt.charging.chargeOrder(placed!.id);
  const order = (await request(kit.app).get(`/v1/orders/${placed!.id}`).set(key(merchant.apiKey)).expect(200)).body;
  expect(order.status).toBe('paid');
  const row = (await kit.rt.db.query('SELECT payment_intent_id, transfer_destination, application_fee_amount, transfer_id FROM orders WHERE id = $1', [order.id])).rows[0];
  return { id: order.id as string, ...row } as { id: string; payment_intent_id: string; transfer_destination: string | null; application_fee_amount: number | null; transfer_id: string | null };
}

async function chargeOf(paymentIntentId: string): Promise<Stripe.Charge> {
  const pi = await kit.stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });
  return pi.latest_charge as Stripe.Charge;
}

const feeOf = async (chargeId: string) => (await kit.stripe.applicationFees.list({ charge: chargeId })).data[0]!;
const pendingBalance = async (currency: string) =>
  ((await request(kit.app).get('/v1/balance').set(key(shop.apiKey)).expect(200)).body.pending as Array<{ amount: number; currency: string }>).find((b) => b.currency === currency)?.amount ?? 0;

describe('a paid order splits into the merchant transfer and the platform fee, to the cent', () => {
  // 2.9 % rounded half up, plus the currency's fixed part: 121.8 → 122 + 30; 57.971 → 58 + 25; 43.5 → 44 + 0 (JPY has no minor unit).
  it.each([
    ['usd', 4200, 152],
    ['eur', 1999, 83],
    ['jpy', 1500, 44],
  ])('%s %i: fee %i to the platform, the rest to the merchant', async (currency, amount, fee) => {
    const before = await pendingBalance(currency);
    const order = await paidOrder(shop, currency, amount);
    expect(order).toMatchObject({ transfer_destination: shop.account, application_fee_amount: fee, transfer_id: expect.stringMatching(/^tr_/) });
    // The merchant sees the split on its order.
    expect((await request(kit.app).get(`/v1/orders/${order.id}`).set(key(shop.apiKey)).expect(200)).body).toMatchObject({ amount, transfer_destination: shop.account, application_fee_amount: fee, transfer: order.transfer_id });

    const charge = await chargeOf(order.payment_intent_id);
    expect(charge).toMatchObject({ amount, currency, transfer: order.transfer_id, transfer_data: { destination: shop.account }, application_fee_amount: fee });
    const transfer = await kit.stripe.transfers.retrieve(order.transfer_id!);
    expect(transfer).toMatchObject({ amount, currency, destination: shop.account });
    expect(await feeOf(charge.id)).toMatchObject({ amount: fee, currency, account: shop.account });
    // What the merchant sees: the sale less the fee, waiting to be paid out.
    expect(await pendingBalance(currency)).toBe(before + amount - fee);
  });

  it('a refund reverses the transfer and the fee in proportion, and all of both when complete', async () => {
    const order = await paidOrder(shop, 'usd', 4200); // fee 152
    const before = await pendingBalance('usd');
    const refund = (amount: number) => request(kit.app).post(`/v1/orders/${order.id}/refunds`).set(key(shop.apiKey)).send({ amount }).expect(201);
    await refund(1000);
    const charge = await chargeOf(order.payment_intent_id);
    const fee = await feeOf(charge.id);
    const reversals = async () => (await kit.stripe.transfers.listReversals(order.transfer_id!)).data.map((r) => r.amount).sort((a, b) => a - b);
    const feeRefunds = async () => (await kit.stripe.applicationFees.listRefunds(fee.id)).data.map((r) => r.amount).sort((a, b) => a - b);
    // 1000 of 4200: the merchant gives back 1000 of its transfer, the platform 36 of its 152 fee (36.19).
    expect(await reversals()).toEqual([1000]);
    expect(await feeRefunds()).toEqual([36]);
    expect(await pendingBalance('usd')).toBe(before - (1000 - 36));

    await refund(3200);
    expect(await reversals()).toEqual([1000, 3200]);
    expect(await feeRefunds()).toEqual([36, 116]);
    // Neither side keeps anything for goods not sold.
    expect(await pendingBalance('usd')).toBe(before - (4200 - 152));
    expect((await request(kit.app).get(`/v1/orders/${order.id}`).set(key(shop.apiKey)).expect(200)).body).toMatchObject({ status: 'refunded', amount_refunded: 4200 });
  });
});

describe('a payment that arrived after its order ended', () => {
  it('is given back whole: the transfer reversed and the fee refunded', async () => {
    const order = await paidOrder(shop, 'eur', 1999); // fee 83
    // What the Stripe events worker does with a late payment (workers/stripe-events.ts).
    await kit.rt.payments.refund({ paymentIntentId: order.payment_intent_id, idempotencyKey: `${order.id}-late-refund` });
    const fee = await feeOf((await chargeOf(order.payment_intent_id)).id);
    expect((await kit.stripe.transfers.listReversals(order.transfer_id!)).data.map((r) => r.amount)).toEqual([1999]);
    expect((await kit.stripe.applicationFees.listRefunds(fee.id)).data.map((r) => r.amount)).toEqual([83]);
  });
});

describe('a payment the buyer must confirm (3-D Secure)', () => {
  it('goes to the merchant less the fee too, when the buyer completes it on the Checkout page', async () => {
    const buyer = '777000222';
    await request(kit.app).post('/v1/sandbox/buyers').set('Authorization', `Bearer ${kit.admin}`).send({ x_user_id: buyer, x_username: 'bankbuyer', payment_method: 'pm_card_authenticationRequired' }).expect(201);
    const product = await request(kit.app).post('/v1/products').set(key(shop.apiKey)).send({ name: 'Bank Lamp', hashtag: `BuyBank${++tweet}`, unit_amount: 3000, currency: 'eur', shipping: 'none' }).expect(201);
    const placed = await withTransaction(kit.rt.db, (tx) => placeOrder(tx, {
      id: newId('ord'), merchantId: shop.id, productId: product.body.id, tweetId: String(tweet), chainId: String(tweet),
      buyerXUserId: buyer, buyerXUsername: 'bankbuyer', buyerId: null, quantity: 1, amount: 3000, currency: 'eur',
    }, { id: newId('rep'), text: 'sold out' }));
    await kit.rt.charging.chargeOrder(placed!.id);
    const order = (await kit.rt.db.query('SELECT status, checkout_session_id, application_fee_amount FROM orders WHERE id = $1', [placed!.id])).rows[0];
    expect(order).toMatchObject({ status: 'requires_action', application_fee_amount: 112 }); // 87 + 25
    const session = await kit.stripe.checkout.sessions.retrieve(order.checkout_session_id);
    const confirmed = await fetch(session.url!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'payment_method=pm_card_authenticationRequired' });
    expect(confirmed.status).toBe(303);
    const paid = (await kit.stripe.paymentIntents.list({ limit: 100 })).data.filter((pi) => pi.metadata.order_id === placed!.id && pi.status === 'succeeded');
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ amount: 3000, transfer_data: { destination: shop.account }, application_fee_amount: 112 });
  });
});

describe('charges that stay on the platform', () => {
  it('test mode: a merchant not onboarded can sell; its charges carry no transfer and no fee', async () => {
    const m = await kit.createMerchant('Not Yet Onboarded');
    const order = await paidOrder(m, 'usd', 2500);
    expect(order).toMatchObject({ transfer_destination: null, application_fee_amount: null, transfer_id: null });
    const charge = await chargeOf(order.payment_intent_id);
    expect(charge.transfer_data).toBeNull();
    expect(charge.transfer ?? null).toBeNull();
    // Its refund reverses nothing (there is nothing to reverse) and succeeds.
    await request(kit.app).post(`/v1/orders/${order.id}/refunds`).set(key(m.apiKey)).send({}).expect(201);
  });

  it('the split is decided once: a retry keeps it even when the fee rule changed in between', async () => {
    const splitter = createChargeSplitter(kit.rt.db, { bps: 290, fixed: {} });
    const product = await request(kit.app).post('/v1/products').set(key(shop.apiKey)).send({ name: 'Retry Lamp', hashtag: `BuyRetry${++tweet}`, unit_amount: 1000, currency: 'usd', shipping: 'none' }).expect(201);
    const placed = await withTransaction(kit.rt.db, (tx) => placeOrder(tx, {
      id: newId('ord'), merchantId: shop.id, productId: product.body.id, tweetId: String(tweet), chainId: String(tweet),
      buyerXUserId: BUYER, buyerXUsername: 'splitbuyer', buyerId: null, quantity: 1, amount: 1000, currency: 'usd',
    }, { id: newId('rep'), text: 'sold out' }));
    const first = await splitter.decide([placed!.id]);
    await request(kit.app).patch(`/v1/merchants/${shop.id}`).set('Authorization', `Bearer ${kit.admin}`).send({ platform_fee: { bps: 1000 } }).expect(200);
    expect(await splitter.decide([placed!.id])).toEqual(first);
    expect(first.get(placed!.id)).toEqual({ destination: shop.account, applicationFee: 29 });
    await request(kit.app).patch(`/v1/merchants/${shop.id}`).set('Authorization', `Bearer ${kit.admin}`).send({ platform_fee: null }).expect(200);
  });

  it('two attempts deciding at once agree: the one that waited takes the split the other wrote', async () => {
    const product = await request(kit.app).post('/v1/products').set(key(shop.apiKey)).send({ name: 'Race Lamp', hashtag: `BuyRace${++tweet}`, unit_amount: 1000, currency: 'usd', shipping: 'none' }).expect(201);
    const placed = await withTransaction(kit.rt.db, (tx) => placeOrder(tx, {
      id: newId('ord'), merchantId: shop.id, productId: product.body.id, tweetId: String(tweet), chainId: String(tweet),
      buyerXUserId: BUYER, buyerXUsername: 'splitbuyer', buyerId: null, quantity: 1, amount: 1000, currency: 'usd',
    }, { id: newId('rep'), text: 'sold out' }));
    // The other attempt has written its decision (a 10 % fee) and not committed yet.
    const other = await kit.rt.db.connect();
    try {
      await other.query('BEGIN');
      await other.query('UPDATE orders SET split_decided = true, transfer_destination = $2, application_fee_amount = 100 WHERE id = $1', [placed!.id, shop.account]);
      const waiting = createChargeSplitter(kit.rt.db, { bps: 290, fixed: {} }).decide([placed!.id]);
      await new Promise((r) => setTimeout(r, 200));
      await other.query('COMMIT');
      expect((await waiting).get(placed!.id)).toEqual({ destination: shop.account, applicationFee: 100 });
    } finally {
      other.release();
    }
  });
});

describe('balance and payouts', () => {
  it('lists the merchant balance and its payouts, a page at a time', async () => {
    const emulator = (path: string) =>
      fetch(`${kit.emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: shop.account }) }).then((r) => expect(r.ok).toBe(true));
    // The emulator's payout schedule, twice: pending funds become available, then the daily payout pays them out.
    await emulator('/_emulator/balance/release');
    await emulator('/_emulator/payouts');
    await paidOrder(shop, 'usd', 1000);
    await emulator('/_emulator/balance/release');
    await emulator('/_emulator/payouts');
    const balance = (await request(kit.app).get('/v1/balance').set(key(shop.apiKey)).expect(200)).body;
    expect(balance).toMatchObject({ object: 'balance', account: shop.account });
    expect(balance.available.find((b: { currency: string }) => b.currency === 'usd')).toEqual({ amount: 0, currency: 'usd' });

    const all = (await request(kit.app).get('/v1/payouts').set(key(shop.apiKey)).expect(200)).body;
    expect(all).toMatchObject({ object: 'list', has_more: false, url: '/v1/payouts' });
    expect(all.data.length).toBeGreaterThanOrEqual(2);
    expect(all.data[0]).toEqual({
      id: expect.stringMatching(/^po_/), object: 'payout', amount: expect.any(Number), currency: expect.any(String), status: 'paid',
      arrival_date: expect.any(Number), created: expect.any(Number), method: 'standard', description: 'STRIPE PAYOUT',
      failure_code: null, failure_message: null,
    });
    // The last usd payout paid out the latest sale less its fee: 1000 - (29 + 30).
    expect(all.data.filter((p: { currency: string }) => p.currency === 'usd')[0].amount).toBe(1000 - 59);

    const first = (await request(kit.app).get('/v1/payouts?limit=1').set(key(shop.apiKey)).expect(200)).body;
    expect(first.data).toEqual([all.data[0]]);
    expect(first.has_more).toBe(true);
    const next = (await request(kit.app).get(`/v1/payouts?limit=1&starting_after=${first.data[0].id}`).set(key(shop.apiKey)).expect(200)).body;
    expect(next.data).toEqual([all.data[1]]);
    // Another merchant's payouts are not this merchant's business, and a cursor from them is refused.
    const other = await kit.createMerchant('Other Shop');
    const otherLink = await request(kit.app).post('/v1/account/onboarding_link').set(key(other.apiKey)).expect(201);
    await kit.submitOnboarding(otherLink.body.url, 'finish');
    expect((await request(kit.app).get('/v1/payouts').set(key(other.apiKey)).expect(200)).body.data).toEqual([]);
    const refused = await request(kit.app).get(`/v1/payouts?starting_after=${first.data[0].id}`).set(key(other.apiKey)).expect(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'starting_after' }] });
  });

  it('every API answer matches openapi.yaml', () => {
    expect(conformanceProblems(kit.recorded, (r) => r.path.startsWith('/v1/'))).toEqual([]);
  });
});
