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
});
