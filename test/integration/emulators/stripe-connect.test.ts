import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';

/** Records signed webhook deliveries so tests can check what a platform would receive. */
async function startReceiver() {
  const received: Array<{ body: string; signature: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature'] ?? '') });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const RETURN_URL = 'https://shop.example/onboarding/done';
const REFRESH_URL = 'https://shop.example/onboarding/again';

describe('Stripe emulator: Connect through stripe-node', () => {
  let emu: StripeEmulator;
  let stripe: Stripe;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let secret: string;

  beforeAll(async () => {
    emu = await startStripeEmulator({ webhookRetryBaseMs: 20 });
    stripe = new Stripe('sk_test_connect', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
    receiver = await startReceiver();
    secret = emu.addWebhookEndpoint({ url: receiver.url }).secret;
  });
  afterAll(async () => {
    await emu.close();
    await receiver.close();
  });

  const newExpressAccount = (email = 'merchant@example.com') =>
    stripe.accounts.create({ type: 'express', country: 'US', email, capabilities: { card_payments: { requested: true }, transfers: { requested: true } }, metadata: { merchant_id: 'm_1' } });

  async function onboard(accountId: string, action: 'finish' | 'later'): Promise<Response> {
    const link = await stripe.accountLinks.create({ account: accountId, refresh_url: REFRESH_URL, return_url: RETURN_URL, type: 'account_onboarding' });
    return fetch(link.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=${action}` });
  }

  test('an Express account is created with requirements due and can be retrieved and updated', async () => {
    const account = await newExpressAccount();
    expect(account).toMatchObject({
      object: 'account', type: 'express', country: 'US', default_currency: 'usd', email: 'merchant@example.com',
      charges_enabled: false, payouts_enabled: false, details_submitted: false,
      capabilities: { card_payments: 'inactive', transfers: 'inactive' }, metadata: { merchant_id: 'm_1' },
    });
    expect(account.id).toMatch(/^acct_/);
    expect(account.requirements?.currently_due).toEqual(expect.arrayContaining(['external_account', 'tos_acceptance.date']));
    expect(account.requirements?.disabled_reason).toBe('requirements.past_due');
    expect(await stripe.accounts.retrieve(account.id)).toEqual(account);
    const updated = await stripe.accounts.update(account.id, { metadata: { tier: 'gold' } });
    expect(updated.metadata).toEqual({ merchant_id: 'm_1', tier: 'gold' });
    await expect(stripe.accounts.retrieve('acct_nope')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  test('an account link opens a hosted page; finishing enables the account and redirects to return_url, once', async () => {
    const account = await newExpressAccount();
    const link = await stripe.accountLinks.create({ account: account.id, refresh_url: REFRESH_URL, return_url: RETURN_URL, type: 'account_onboarding' });
    expect(link).toMatchObject({ object: 'account_link' });
    expect(link.expires_at - link.created).toBe(300);
    const pageRes = await fetch(link.url, { redirect: 'manual' });
    expect(pageRes.status).toBe(200);
    const html = await pageRes.text();
    expect(html).toContain('Finish onboarding');
    expect(html).toContain('Leave for later');
    const finish = await fetch(link.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=finish' });
    expect(finish.status).toBe(303);
    expect(finish.headers.get('location')).toBe(RETURN_URL);
    const after = await stripe.accounts.retrieve(account.id);
    expect(after).toMatchObject({ charges_enabled: true, payouts_enabled: true, details_submitted: true, capabilities: { card_payments: 'active', transfers: 'active' } });
    expect(after.requirements).toMatchObject({ currently_due: [], eventually_due: [], past_due: [], disabled_reason: null });
    // Used links (a revisit or a second submit) send the merchant to refresh_url.
    for (const init of [{}, { method: 'POST', body: 'action=later', headers: { 'content-type': 'application/x-www-form-urlencoded' } }]) {
      const again = await fetch(link.url, { ...init, redirect: 'manual' });
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toBe(REFRESH_URL);
    }
  });

  test('leaving for later keeps the requirements due and the account disabled', async () => {
    const account = await newExpressAccount();
    const res = await onboard(account.id, 'later');
    expect(res.headers.get('location')).toBe(RETURN_URL);
    const after = await stripe.accounts.retrieve(account.id);
    expect(after).toMatchObject({ charges_enabled: false, payouts_enabled: false, details_submitted: false });
    expect(after.requirements?.currently_due).toEqual(expect.arrayContaining(['external_account', 'tos_acceptance.date']));
    expect(after.requirements?.currently_due).not.toContain('business_type');
  });

  test('account links validate their input in Stripe error shape', async () => {
    const account = await newExpressAccount();
    await expect(stripe.accountLinks.create({ account: 'acct_missing', refresh_url: REFRESH_URL, return_url: RETURN_URL, type: 'account_onboarding' }))
      .rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', param: 'account' });
    await expect(stripe.accountLinks.create({ account: account.id, refresh_url: REFRESH_URL, type: 'account_onboarding' } as Stripe.AccountLinkCreateParams))
      .rejects.toMatchObject({ code: 'parameter_missing', param: 'return_url' });
    const unknown = await fetch(`${emu.url}/connect/onboarding/nope`);
    expect(unknown.status).toBe(404);
  });

  test('onboarding emits a signed account.updated carrying the connected account', async () => {
    const account = await newExpressAccount('events@example.com');
    await onboard(account.id, 'finish');
    await emu.webhooksIdle();
    const events = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, secret));
    const updated = events.find((e) => e.type === 'account.updated' && (e.data.object as Stripe.Account).id === account.id);
    expect(updated).toBeDefined();
    expect(updated!.account).toBe(account.id);
    expect(updated!.data.object).toMatchObject({ charges_enabled: true, payouts_enabled: true, details_submitted: true });
    expect(updated!.data.previous_attributes).toMatchObject({ charges_enabled: false, details_submitted: false });
  });

  async function onboardedAccount(country = 'US') {
    const account = await stripe.accounts.create({ type: 'express', country, capabilities: { card_payments: { requested: true }, transfers: { requested: true } } });
    await onboard(account.id, 'finish');
    return account.id;
  }

  const amountsOf = (b: Stripe.Balance, currency: string) => ({
    available: b.available.find((x) => x.currency === currency)?.amount ?? 0,
    pending: b.pending.find((x) => x.currency === currency)?.amount ?? 0,
  });

  async function destinationCharge(destination: string, amount: number, currency: string, fee: number) {
    return stripe.paymentIntents.create({
      amount, currency, payment_method: 'pm_card_visa', confirm: true,
      transfer_data: { destination }, application_fee_amount: fee, on_behalf_of: destination,
      expand: ['latest_charge'],
    });
  }

  test.each([
    { currency: 'usd', country: 'US', amount: 2000, fee: 130 },
    { currency: 'jpy', country: 'JP', amount: 1500, fee: 75 },
  ])('a destination charge in $currency transfers to the merchant and takes the fee, to the minor unit', async ({ currency, country, amount, fee }) => {
    const merchant = await onboardedAccount(country);
    const platformBefore = amountsOf(await stripe.balance.retrieve(), currency);
    const pi = await destinationCharge(merchant, amount, currency, fee);
    expect(pi).toMatchObject({ status: 'succeeded', application_fee_amount: fee, on_behalf_of: merchant, transfer_data: { destination: merchant } });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ destination: merchant, application_fee_amount: fee, transfer_data: { destination: merchant } });
    const transfer = await stripe.transfers.retrieve(charge.transfer as string);
    expect(transfer).toMatchObject({ object: 'transfer', amount, currency, destination: merchant, source_transaction: charge.id, amount_reversed: 0, reversed: false });
    expect(transfer.id).toMatch(/^tr_/);
    const appFee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(appFee).toMatchObject({ object: 'application_fee', amount: fee, currency, account: merchant, originating_transaction: charge.id, amount_refunded: 0 });
    expect(appFee.id).toMatch(/^fee_/);
    // The merchant nets the sale less the fee; the platform keeps the fee.
    expect(amountsOf(await stripe.balance.retrieve({}, { stripeAccount: merchant }), currency)).toEqual({ available: 0, pending: amount - fee });
    const platformAfter = amountsOf(await stripe.balance.retrieve(), currency);
    expect(platformAfter.pending - platformBefore.pending).toBe(fee);
  });

  test('destination charges are refused for a fee above the amount, or an unknown or disabled destination', async () => {
    const ready = await onboardedAccount();
    const pending = (await newExpressAccount()).id;
    const base = { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    await expect(stripe.paymentIntents.create({ ...base, transfer_data: { destination: ready }, application_fee_amount: 1001 }))
      .rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400, param: 'application_fee_amount' });
    await expect(stripe.paymentIntents.create({ ...base, transfer_data: { destination: 'acct_unknown' }, application_fee_amount: 10 }))
      .rejects.toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'transfer_data[destination]', message: "No such destination: 'acct_unknown'" });
    await expect(stripe.paymentIntents.create({ ...base, transfer_data: { destination: pending }, application_fee_amount: 10 }))
      .rejects.toMatchObject({ statusCode: 400, code: 'insufficient_capabilities_for_transfer', param: 'transfer_data[destination]' });
    await expect(stripe.paymentIntents.create({ ...base, application_fee_amount: 10 }))
      .rejects.toMatchObject({ statusCode: 400, param: 'application_fee_amount', message: expect.stringContaining('Can only apply an application_fee_amount') });
    expect(emu.paymentIntents().filter((p) => (p.transfer_data as { destination?: string } | null)?.destination === pending)).toHaveLength(0);
  });

  test('partial refunds reverse the transfer and refund the fee in proportion; the last one takes the remainder', async () => {
    const merchant = await onboardedAccount();
    const pi = await destinationCharge(merchant, 1000, 'usd', 123);
    const charge = pi.latest_charge as Stripe.Charge;
    const platformBefore = amountsOf(await stripe.balance.retrieve(), 'usd');

    const first = await stripe.refunds.create({ payment_intent: pi.id, amount: 333, reverse_transfer: true, refund_application_fee: true });
    expect(first.transfer_reversal).toMatch(/^trr_/);
    let transfer = await stripe.transfers.retrieve(charge.transfer as string);
    expect(transfer).toMatchObject({ amount_reversed: 333, reversed: false });
    expect(transfer.reversals.data).toEqual([expect.objectContaining({ id: first.transfer_reversal, object: 'transfer_reversal', amount: 333, source_refund: first.id, transfer: transfer.id })]);
    let fee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    // 123 × 333 / 1000 = 40.96, rounded to 41.
    expect(fee).toMatchObject({ amount_refunded: 41, refunded: false });
    expect(fee.refunds.data).toEqual([expect.objectContaining({ object: 'fee_refund', amount: 41, fee: fee.id })]);
    expect((await stripe.applicationFees.listRefunds(fee.id)).data.map((r) => r.amount)).toEqual([41]);
    expect(amountsOf(await stripe.balance.retrieve({}, { stripeAccount: merchant }), 'usd').pending).toBe(877 - 333 + 41);

    await stripe.refunds.create({ payment_intent: pi.id, reverse_transfer: true, refund_application_fee: true });
    transfer = await stripe.transfers.retrieve(charge.transfer as string);
    expect(transfer).toMatchObject({ amount_reversed: 1000, reversed: true });
    expect((await stripe.transfers.listReversals(transfer.id)).data.map((r) => r.amount)).toEqual([667, 333]);
    fee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee).toMatchObject({ amount_refunded: 123, refunded: true });
    // Nobody keeps money for goods not sold.
    expect(amountsOf(await stripe.balance.retrieve({}, { stripeAccount: merchant }), 'usd')).toEqual({ available: 0, pending: 0 });
    expect(amountsOf(await stripe.balance.retrieve(), 'usd').pending).toBe(platformBefore.pending - 123);
  });

  test('a refund without reverse_transfer leaves the merchant paid and the platform pays it', async () => {
    const merchant = await onboardedAccount();
    const pi = await destinationCharge(merchant, 1000, 'usd', 100);
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    expect(refund.transfer_reversal).toBeNull();
    expect(amountsOf(await stripe.balance.retrieve({}, { stripeAccount: merchant }), 'usd').pending).toBe(900);
  });

  test('balances and payouts per connected account through the Stripe-Account header', async () => {
    const merchant = await onboardedAccount();
    await destinationCharge(merchant, 5000, 'usd', 250);
    const as = { stripeAccount: merchant };
    expect(await stripe.balance.retrieve({}, as)).toMatchObject({
      object: 'balance', livemode: false,
      available: [{ amount: 0, currency: 'usd' }], pending: [{ amount: 4750, currency: 'usd' }],
    });
    await expect(stripe.payouts.create({ amount: 100, currency: 'usd' }, as)).rejects.toMatchObject({ code: 'balance_insufficient' });

    const release = await fetch(`${emu.url}/_emulator/balance/release`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: merchant }) });
    expect(release.status).toBe(204);
    expect(amountsOf(await stripe.balance.retrieve({}, as), 'usd')).toEqual({ available: 4750, pending: 0 });

    const manual = await stripe.payouts.create({ amount: 750, currency: 'usd', description: 'weekly' }, as);
    expect(manual).toMatchObject({ object: 'payout', amount: 750, currency: 'usd', status: 'paid', automatic: false, description: 'weekly' });
    const daily = await fetch(`${emu.url}/_emulator/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: merchant }) });
    const [automatic] = ((await daily.json()) as { data: Stripe.Payout[] }).data;
    expect(automatic).toMatchObject({ amount: 4000, automatic: true, status: 'paid' });

    const listed = await stripe.payouts.list({}, as);
    expect(listed.data.map((p) => p.id)).toEqual([automatic!.id, manual.id]);
    expect(await stripe.payouts.retrieve(manual.id, {}, as)).toEqual(manual);
    expect(amountsOf(await stripe.balance.retrieve({}, as), 'usd')).toEqual({ available: 0, pending: 0 });
    // Payouts belong to their account: the platform does not see them.
    expect((await stripe.payouts.list()).data.map((p) => p.id)).not.toContain(manual.id);
    await expect(stripe.payouts.retrieve(manual.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(stripe.balance.retrieve({}, { stripeAccount: 'acct_nobody' })).rejects.toMatchObject({ statusCode: 403 });

    await emu.webhooksIdle();
    const events = receiver.received.map((r) => JSON.parse(r.body) as Stripe.Event);
    expect(events.filter((e) => e.type === 'payout.paid' && e.account === merchant)).toHaveLength(2);
  });

  test('a hosted Checkout payment can be a destination charge', async () => {
    const merchant = await onboardedAccount();
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 2, price_data: { currency: 'usd', unit_amount: 1500, product_data: { name: 'Mug' } } }],
      payment_intent_data: { transfer_data: { destination: merchant }, application_fee_amount: 300 },
      success_url: 'https://shop.example/ok',
    });
    const paid = await fetch(session.url!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'payment_method=pm_card_visa' });
    expect(paid.status).toBe(303);
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent.latest_charge'] });
    const charge = (done.payment_intent as Stripe.PaymentIntent).latest_charge as Stripe.Charge;
    expect((await stripe.transfers.retrieve(charge.transfer as string)).amount).toBe(3000);
    expect(amountsOf(await stripe.balance.retrieve({}, { stripeAccount: merchant }), 'usd').pending).toBe(2700);
  });
});
