import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';

/** A local webhook receiver that records raw bodies and answers with scripted statuses. */
async function startReceiver(statuses: number[] = []) {
  const received: Array<{ body: string; signature: string }> = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature'] ?? '') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const waitFor = async (pred: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for webhooks');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return { url, received, waitFor, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Stripe emulator through stripe-node', () => {
  let emu: StripeEmulator;
  let stripe: Stripe;
  const client = (opts: Partial<Stripe.StripeConfig> = {}) =>
    new Stripe('sk_test_emulator', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0, ...opts });

  beforeAll(async () => {
    emu = await startStripeEmulator({ webhookRetryBaseMs: 20 });
    stripe = client();
  });
  afterAll(async () => {
    await emu.close();
  });
  afterEach(() => {
    emu.clearFaults();
    emu.setOpsPerSecond(0);
  });

  async function customerWithCard(card = 'pm_card_visa') {
    const customer = await stripe.customers.create({ email: 'buyer@example.com', name: 'Buyer' });
    const pm = await stripe.paymentMethods.attach(card, { customer: customer.id });
    return { customer, pm };
  }

  test('rejects requests without a valid API key in Stripe error shape', async () => {
    const res = await fetch(`${emu.url}/v1/customers`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    await expect(new Stripe('sk_live_nope', { host: '127.0.0.1', port: emu.port, protocol: 'http' }).customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  test('shipping on customers and PaymentIntents, in the wire format, with Stripe\'s required fields', async () => {
    const shipping = { name: 'Ann', address: { line1: '1 Main St', city: 'Austin', state: 'TX', postal_code: '73301', country: 'US' } };
    const c = await stripe.customers.create({ name: 'Ann' });
    expect(c.shipping).toBeNull();
    const updated = await stripe.customers.update(c.id, { shipping });
    expect(updated.shipping).toEqual({ name: 'Ann', phone: null, address: { ...shipping.address, line2: null } });
    expect(((await stripe.customers.retrieve(c.id)) as Stripe.Customer).shipping).toEqual(updated.shipping);
    await expect(stripe.customers.update(c.id, { shipping: { address: { line1: 'x' } } as Stripe.CustomerUpdateParams.Shipping }))
      .rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'parameter_missing', param: 'shipping[name]' });
    await expect(stripe.customers.update(c.id, { shipping: { name: 'Ann', address: { city: 'x' } } as Stripe.CustomerUpdateParams.Shipping }))
      .rejects.toMatchObject({ code: 'parameter_missing', param: 'shipping[address][line1]' });
    expect((await stripe.customers.update(c.id, { shipping: '' })).shipping).toBeNull();

    const { customer, pm } = await customerWithCard();
    const pi = await stripe.paymentIntents.create({
      amount: 1800, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true,
      shipping: { ...shipping, phone: '+1 512 555 0100', carrier: 'UPS', tracking_number: '1Z999' },
    });
    expect(pi.shipping).toEqual({ name: 'Ann', phone: '+1 512 555 0100', carrier: 'UPS', tracking_number: '1Z999', address: { ...shipping.address, line2: null } });
  });

  test('customer CRUD', async () => {
    const created = await stripe.customers.create({ email: 'a@example.com', name: 'Ann', metadata: { x_user_id: '42' } });
    expect(created.id).toMatch(/^cus_\w{14}$/);
    expect(created).toMatchObject({ object: 'customer', livemode: false, email: 'a@example.com', metadata: { x_user_id: '42' } });
    const updated = await stripe.customers.update(created.id, { name: 'Annie', metadata: { tier: 'gold' } });
    expect(updated).toMatchObject({ name: 'Annie', metadata: { x_user_id: '42', tier: 'gold' } });
    expect((await stripe.customers.retrieve(created.id)) as Stripe.Customer).toMatchObject({ name: 'Annie' });
    const listed = await stripe.customers.list({ limit: 100 });
    expect(listed.object).toBe('list');
    expect(listed.data.map((c) => c.id)).toContain(created.id);
    expect(await stripe.customers.del(created.id)).toEqual({ id: created.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(created.id)).toMatchObject({ deleted: true });
    const err = await stripe.customers.update(created.id, { name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  test('attaching test cards creates new payment methods with card details; list, default, detach', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    expect(pm.id).toMatch(/^pm_\w{24}$/);
    expect(pm.customer).toBe(customer.id);
    expect(pm.card).toMatchObject({ brand: 'visa', last4: '4242', funding: 'credit', country: 'US' });
    const mc = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
    expect(mc.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    const listed = await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    expect(listed.data.map((p) => p.id).sort()).toEqual([pm.id, mc.id].sort());
    const viaCustomer = await stripe.customers.listPaymentMethods(customer.id);
    expect(viaCustomer.data).toHaveLength(2);
    const updated = await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: mc.id } });
    expect(updated.invoice_settings.default_payment_method).toBe(mc.id);
    const detached = await stripe.paymentMethods.detach(mc.id);
    expect(detached.customer).toBeNull();
    expect((await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data).toHaveLength(1);
    await expect(stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id })).rejects.toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
  });

  test('setup intent saves a card for off-session use', async () => {
    const customer = await stripe.customers.create({});
    const si = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_visa', usage: 'off_session', confirm: true, expand: ['payment_method'] });
    expect(si.id).toMatch(/^seti_/);
    expect(si.status).toBe('succeeded');
    expect((si.payment_method as Stripe.PaymentMethod).customer).toBe(customer.id);
    const needsAuth = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_authenticationRequired', confirm: true });
    expect(needsAuth.status).toBe('requires_action');
  });

  test('off-session payment succeeds with a charge', async () => {
    const { customer, pm } = await customerWithCard();
    const pi = await stripe.paymentIntents.create({
      amount: 1999, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true,
      metadata: { order_id: 'ord_1' }, description: 'Blue mug', expand: ['latest_charge'],
    });
    expect(pi.id).toMatch(/^pi_/);
    expect(pi).toMatchObject({ status: 'succeeded', amount: 1999, amount_received: 1999, metadata: { order_id: 'ord_1' } });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: 'charge', status: 'succeeded', paid: true, amount: 1999, payment_intent: pi.id });
    expect(charge.payment_method_details?.card?.last4).toBe('4242');
    const control = (await (await fetch(`${emu.url}/_emulator/payment_intents`)).json()) as { data: Array<{ id: string; status: string }> };
    expect(control.data.find((p) => p.id === pi.id)?.status).toBe('succeeded');
    const listed = await stripe.paymentIntents.list({ customer: customer.id });
    expect(listed.data.map((p) => p.id)).toEqual([pi.id]);
  });

  test('declines surface as card errors with the intent left in requires_payment_method', async () => {
    const { customer, pm } = await customerWithCard('pm_card_chargeCustomerFail');
    const err = await stripe.paymentIntents
      .create({ amount: 500, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    const cardErr = err as Stripe.errors.StripeCardError;
    expect(cardErr.statusCode).toBe(402);
    expect(cardErr.code).toBe('card_declined');
    expect(cardErr.decline_code).toBe('generic_decline');
    expect(cardErr.message).toBe('Your card was declined.');
    const raw = cardErr.raw as { payment_intent: Stripe.PaymentIntent; charge: string };
    expect(raw.payment_intent.status).toBe('requires_payment_method');
    expect(raw.payment_intent.last_payment_error?.code).toBe('card_declined');
    expect(raw.charge).toMatch(/^ch_/);
    expect((await stripe.charges.retrieve(raw.charge)).status).toBe('failed');
    const stored = await stripe.paymentIntents.retrieve(raw.payment_intent.id);
    expect(stored.status).toBe('requires_payment_method');

    const funds = await stripe.paymentIntents
      .create({ amount: 500, currency: 'usd', payment_method: 'pm_card_chargeDeclinedInsufficientFunds', confirm: true })
      .catch((e: Stripe.errors.StripeCardError) => e);
    expect(funds).toMatchObject({ code: 'card_declined', decline_code: 'insufficient_funds' });
  });

  test('off-session charge on a card that needs authentication fails with authentication_required', async () => {
    const { customer, pm } = await customerWithCard('pm_card_authenticationRequired');
    const err = (await stripe.paymentIntents
      .create({ amount: 800, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true })
      .catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.code).toBe('authentication_required');
    expect(err.payment_intent?.status).toBe('requires_payment_method');
    const onSession = await stripe.paymentIntents.create({ amount: 800, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true });
    expect(onSession.status).toBe('requires_action');
    expect(onSession.next_action?.type).toBe('use_stripe_sdk');
  });

  test('validation errors carry param and Stripe codes', async () => {
    const missing = await stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams).catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'StripeInvalidRequestError', param: 'amount', statusCode: 400 });
    await expect(stripe.paymentIntents.create({ amount: 10, currency: 'usd' })).rejects.toMatchObject({ code: 'amount_too_small', param: 'amount' });
    await expect(stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: 'cus_missing' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'customer' });
    const a = await customerWithCard();
    const b = await stripe.customers.create({});
    await expect(
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: b.id, payment_method: a.pm.id, off_session: true, confirm: true }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'payment_method' });
  });

  test('idempotent replay returns the same intent; other params with the key are refused', async () => {
    const { customer, pm } = await customerWithCard();
    const params = { amount: 1200, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-1' });
    const res = await fetch(`${emu.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_emulator', 'idempotency-key': 'order-1', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ amount: '1200', currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: 'true', confirm: 'true' }),
    });
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(((await res.json()) as { id: string }).id).toBe(first.id);
    const again = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-1' });
    expect(again.id).toBe(first.id);
    await expect(stripe.paymentIntents.create({ ...params, amount: 1300 }, { idempotencyKey: 'order-1' })).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(emu.paymentIntents().filter((p) => p.customer === customer.id)).toHaveLength(1);
  });

  test('concurrent creates with one key make a single intent', async () => {
    const { customer, pm } = await customerWithCard();
    emu.injectFault({ latency_ms: 100, path: '/v1/payment_intents', count: 1 });
    const t0 = Date.now();
    const params = { amount: 700, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true };
    const results = await Promise.all(Array.from({ length: 8 }, () => stripe.paymentIntents.create(params, { idempotencyKey: 'concurrent-1' })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(emu.paymentIntents().filter((p) => p.customer === customer.id)).toHaveLength(1);
  });

  test('refunds: partial, full, and over-refund refused', async () => {
    const { customer, pm } = await customerWithCard();
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true });
    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 300, reason: 'requested_by_customer' });
    expect(partial).toMatchObject({ object: 'refund', amount: 300, status: 'succeeded', payment_intent: pi.id });
    expect(partial.id).toMatch(/^re_/);
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 800 })).rejects.toMatchObject({ statusCode: 400, code: 'amount_too_large' });
    const rest = await stripe.refunds.create({ payment_intent: pi.id });
    expect(rest.amount).toBe(700);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ amount_refunded: 1000, refunded: true });
    await expect(stripe.refunds.create({ charge: charge.id })).rejects.toMatchObject({ code: 'charge_already_refunded' });
  });

  test('webhooks are signed for constructEvent and retried after a non-2xx', async () => {
    const receiver = await startReceiver([500]);
    const { id, secret } = emu.addWebhookEndpoint({ url: receiver.url, enabled_events: ['payment_intent.succeeded'] });
    try {
      const { customer, pm } = await customerWithCard();
      const pi = await stripe.paymentIntents.create({ amount: 4200, currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: true, confirm: true }, { idempotencyKey: 'hook-1' });
      await receiver.waitFor(() => receiver.received.length >= 2);
      const [failed, retried] = receiver.received;
      expect(failed!.body).toBe(retried!.body);
      const event = stripe.webhooks.constructEvent(retried!.body, retried!.signature, secret);
      expect(event.type).toBe('payment_intent.succeeded');
      expect(event.id).toMatch(/^evt_/);
      expect((event.data.object as Stripe.PaymentIntent).id).toBe(pi.id);
      expect(event.request).toMatchObject({ idempotency_key: 'hook-1' });
      expect(() => stripe.webhooks.constructEvent(retried!.body, retried!.signature, 'whsec_wrong')).toThrow();
      await emu.webhooksIdle();
      const delivery = emu.webhookDeliveries().find((d) => d.event_id === event.id);
      expect(delivery).toMatchObject({ attempts: 2, last_status: 200, state: 'delivered' });
      const fetched = await stripe.events.retrieve(event.id);
      expect(fetched.type).toBe('payment_intent.succeeded');
      const listed = await stripe.events.list({ type: 'payment_intent.succeeded', limit: 100 });
      expect(listed.data.map((e) => e.id)).toContain(event.id);
    } finally {
      emu.removeWebhookEndpoint(id);
      await receiver.close();
    }
  });

  test('webhook endpoints API returns the secret once', async () => {
    const endpoint = await stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/none', enabled_events: ['charge.refunded'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const listed = await stripe.webhookEndpoints.list();
    const found = listed.data.find((e) => e.id === endpoint.id);
    expect(found?.enabled_events).toEqual(['charge.refunded']);
    expect(found?.secret).toBeUndefined();
    expect((await stripe.webhookEndpoints.del(endpoint.id)).deleted).toBe(true);
  });

  test('checkout setup mode completes through the hosted page', async () => {
    const receiver = await startReceiver();
    const { secret } = emu.addWebhookEndpoint({ url: receiver.url, enabled_events: ['checkout.session.completed', 'setup_intent.succeeded'] });
    const customer = await stripe.customers.create({ email: 'save@example.com' });
    const session = await stripe.checkout.sessions.create({
      mode: 'setup', currency: 'usd', customer: customer.id, client_reference_id: 'buy_1',
      success_url: 'http://shop.test/linked?session={CHECKOUT_SESSION_ID}', cancel_url: 'http://shop.test/cancel',
      metadata: { buyer: 'buy_1' }, setup_intent_data: { metadata: { buyer: 'buy_1' } },
    });
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', mode: 'setup' });
    const page = await fetch(session.url!);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Save card');
    expect(html).toContain('href="http://shop.test/cancel"');
    const submit = await fetch(session.url!, { method: 'POST', body: new URLSearchParams({ payment_method: 'pm_card_visa' }), redirect: 'manual' });
    expect(submit.status).toBe(303);
    expect(submit.headers.get('location')).toBe(`http://shop.test/linked?session=${session.id}`);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['setup_intent.payment_method'] });
    expect(done.status).toBe('complete');
    const si = done.setup_intent as Stripe.SetupIntent;
    expect(si).toMatchObject({ status: 'succeeded', customer: customer.id, metadata: { buyer: 'buy_1' } });
    expect(si.payment_method).toMatchObject({ customer: customer.id, card: { last4: '4242' } });
    await receiver.waitFor(() => receiver.received.length >= 2);
    const types = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, secret)).map((e) => e.type);
    expect(types.sort()).toEqual(['checkout.session.completed', 'setup_intent.succeeded']);
    const again = await fetch(session.url!);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already complete');
    await receiver.close();
  });

  test('checkout payment mode charges and a declined card shows the error', async () => {
    const customer = await stripe.customers.create({});
    const session = await stripe.checkout.sessions.create({
      mode: 'payment', customer: customer.id, success_url: 'http://shop.test/ok?cs={CHECKOUT_SESSION_ID}',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 1250, product_data: { name: 'Blue Mug' } }, quantity: 2 }],
      payment_intent_data: { metadata: { order: 'ord_9' } },
    });
    expect(session).toMatchObject({ amount_total: 2500, currency: 'usd', payment_status: 'unpaid' });
    expect(await (await fetch(session.url!)).text()).toContain('Pay $25.00');
    const declined = await fetch(session.url!, { method: 'POST', body: new URLSearchParams({ payment_method: 'pm_card_chargeDeclined' }), redirect: 'manual' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    const ok = await fetch(session.url!, { method: 'POST', body: new URLSearchParams({ payment_method: 'pm_card_visa' }), redirect: 'manual' });
    expect(ok.status).toBe(303);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent.latest_charge'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const pi = done.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({ status: 'succeeded', amount: 2500, metadata: { order: 'ord_9' } });
    expect((pi.latest_charge as Stripe.Charge).status).toBe('succeeded');
    const expired = await stripe.checkout.sessions.create({ mode: 'setup', currency: 'usd', success_url: 'http://shop.test/ok' });
    expect((await stripe.checkout.sessions.expire(expired.id)).status).toBe('expired');
    expect(await (await fetch(expired.url!)).text()).toContain('expired');
  });

  test('rate limit answers 429 that stripe-node surfaces as StripeRateLimitError', async () => {
    emu.setOpsPerSecond(3);
    // Start at the top of a second so all requests share one window.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => stripe.customers.list({ limit: 1 })));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]!.reason).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(rejected[0]!.reason).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    // Control API is never limited.
    expect((await fetch(`${emu.url}/_emulator/payment_intents`)).status).toBe(200);
  });

  test('faults: a 500 is retried by the SDK; latency delays; drop closes the socket', async () => {
    const retrying = client({ maxNetworkRetries: 2 });
    const fault = (await (await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 500, path: '/v1/customers', method: 'POST' }),
    })).json()) as { id: string };
    expect(fault.id).toBeTruthy();
    const customer = await retrying.customers.create({ email: 'retry@example.com' });
    expect(customer.email).toBe('retry@example.com');
    const left = (await (await fetch(`${emu.url}/_emulator/faults`)).json()) as { data: unknown[] };
    expect(left.data).toHaveLength(0);
    const customers = (await (await fetch(`${emu.url}/_emulator/customers`)).json()) as { data: Array<{ email: string }> };
    expect(customers.data.filter((c) => c.email === 'retry@example.com')).toHaveLength(1);

    emu.injectFault({ status: 500, path: '/v1/customers' });
    await expect(stripe.customers.list()).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });

    emu.injectFault({ latency_ms: 300 });
    const t0 = Date.now();
    await stripe.customers.list({ limit: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

    emu.injectFault({ drop: true, count: 5 });
    await expect(stripe.customers.list({ limit: 1 })).rejects.toBeInstanceOf(Stripe.errors.StripeConnectionError);
    await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
    await expect(stripe.customers.list({ limit: 1 })).resolves.toMatchObject({ object: 'list' });
  });

  test('list pagination with starting_after / ending_before', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await stripe.customers.create({ email: `page${i}@example.com` })).id);
    const first = await stripe.customers.list({ limit: 2 });
    expect(first.has_more).toBe(true);
    expect(first.data.map((c) => c.id)).toEqual([ids[4], ids[3]]);
    const second = await stripe.customers.list({ limit: 2, starting_after: ids[3] });
    expect(second.data.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    const back = await stripe.customers.list({ limit: 2, ending_before: ids[2] });
    expect(back.data.map((c) => c.id)).toEqual([ids[4], ids[3]]);
  });

  test('reset drops state', async () => {
    const c = await stripe.customers.create({});
    const res = await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
    expect(res.status).toBe(204);
    await expect(stripe.customers.retrieve(c.id)).rejects.toMatchObject({ statusCode: 404 });
    expect(emu.paymentIntents()).toHaveLength(0);
  });
});
