import Stripe from 'stripe';
import request from 'supertest';
import { conformanceProblems } from '../../support/openapi-recorder';
import { CONNECT_WEBHOOK_SECRET, startConnectKit, WEBHOOK_SECRET, type ConnectKit } from './kit';

jest.setTimeout(60_000);

let kit: ConnectKit;
beforeAll(async () => {
  kit = await startConnectKit();
});
afterAll(async () => {
  await kit?.close();
});

const admin = () => ({ Authorization: `Bearer ${kit.admin}` });
const key = (apiKey: string) => ({ Authorization: `Bearer ${apiKey}` });
const merchantView = async (id: string) => (await request(kit.app).get(`/v1/merchants/${id}`).set(admin()).expect(200)).body;

describe('onboarding a merchant to Stripe Connect', () => {
  it('operator link → Stripe hosted page → account.updated → the merchant shows charges_enabled', async () => {
    const m = await kit.createMerchant('Onboard Co');
    const first = await request(kit.app).post(`/v1/merchants/${m.id}/onboarding_link`).set(admin()).expect(201);
    expect(first.body).toEqual({ object: 'onboarding_link', url: expect.stringContaining('/connect/onboarding/'), expires_at: expect.any(Number), account: expect.stringMatching(/^acct_/) });
    const account = first.body.account as string;
    // An Express account for this merchant, asking for card payments and transfers.
    const atStripe = await kit.stripe.accounts.retrieve(account);
    expect(atStripe).toMatchObject({ type: 'express', metadata: { merchant_id: m.id }, capabilities: { card_payments: 'inactive', transfers: 'inactive' } });
    expect(await merchantView(m.id)).toMatchObject({
      stripe_account: account, charges_enabled: false, payouts_enabled: false, details_submitted: false,
      requirements: { currently_due: expect.arrayContaining(['external_account', 'tos_acceptance.date']) },
    });

    // The merchant asks with its own key: the same account, a fresh single-use link.
    const second = await request(kit.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
    expect(second.body.account).toBe(account);
    expect(second.body.url).not.toBe(first.body.url);

    // The merchant finishes on Stripe's page; Stripe sends it back to our return page.
    const done = await kit.submitOnboarding(second.body.url, 'finish');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toMatch(new RegExp(`^${kit.base}/connect/return/`));
    // Without the return page visited, the webhook alone brings the merchant up to date.
    expect(await kit.processStripeEvents()).toContain('account.updated');
    const after = await merchantView(m.id);
    expect(after).toMatchObject({
      stripe_account: account, charges_enabled: true, payouts_enabled: true, details_submitted: true,
      requirements: { currently_due: [], eventually_due: [], past_due: [], disabled_reason: null },
    });
    expect((await request(kit.app).get('/v1/account').set(key(m.apiKey)).expect(200)).body).toEqual(after);
  });

  it('an account.updated delivered late never overwrites a newer state', async () => {
    const m = await kit.createMerchant('Late Event Co');
    const link = await request(kit.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
    await kit.submitOnboarding(link.body.url, 'finish');
    await kit.processStripeEvents();
    const stale = {
      id: 'evt_connect_stale', object: 'event', type: 'account.updated', account: link.body.account, created: Math.floor(Date.now() / 1000) - 3600,
      data: { object: { id: link.body.account, object: 'account', charges_enabled: false, payouts_enabled: false, details_submitted: false, requirements: { currently_due: ['external_account'], eventually_due: [], past_due: [], disabled_reason: 'requirements.past_due', current_deadline: null } } },
    };
    const payload = JSON.stringify(stale);
    await request(kit.app).post('/webhooks/stripe').set('Content-Type', 'application/json')
      .set('Stripe-Signature', Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })).send(payload).expect(200);
    expect(await kit.processStripeEvents()).toEqual(['account.updated']);
    expect(await merchantView(m.id)).toMatchObject({ charges_enabled: true, requirements: { currently_due: [] } });
  });

  it("takes account.updated signed with the Connect endpoint's secret, and refuses other signatures", async () => {
    const m = await kit.createMerchant('Connect Endpoint Co');
    const link = await request(kit.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
    const event = (id: string, chargesEnabled: boolean) => JSON.stringify({
      id, object: 'event', type: 'account.updated', account: link.body.account, created: Math.floor(Date.now() / 1000) + 5,
      data: { object: { id: link.body.account, object: 'account', charges_enabled: chargesEnabled, payouts_enabled: false, details_submitted: true, requirements: { currently_due: [], eventually_due: ['external_account'], past_due: [], disabled_reason: null, current_deadline: null } } },
    });
    const deliver = (payload: string, secret: string) => request(kit.app).post('/webhooks/stripe').set('Content-Type', 'application/json')
      .set('Stripe-Signature', Stripe.webhooks.generateTestHeaderString({ payload, secret })).send(payload);
    expect((await deliver(event('evt_connect_forged', true), 'whsec_someone_else').expect(400)).body.code).toBe('signature_invalid');
    await deliver(event('evt_connect_endpoint', true), CONNECT_WEBHOOK_SECRET).expect(200);
    expect(await kit.processStripeEvents()).toEqual(['account.updated']);
    expect(await merchantView(m.id)).toMatchObject({ charges_enabled: true, payouts_enabled: false, details_submitted: true, requirements: { currently_due: [], eventually_due: ['external_account'] } });
  });

  it('our return page says what is still due; our refresh page mints a new link; forged links are refused', async () => {
    const m = await kit.createMerchant('Half Done Co');
    const link = await request(kit.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
    const later = await kit.submitOnboarding(link.body.url, 'later');
    const returnUrl = later.headers.get('location')!;
    const page = await fetch(returnUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Onboarding is not finished yet');
    expect(html).toContain('Still due:');
    expect(html).toContain('a bank account for payouts');
    expect(html).toContain('acceptance of Stripe&#39;s terms');
    // The return page read the account itself: the API says the same thing at once.
    expect(await merchantView(m.id)).toMatchObject({ charges_enabled: false, requirements: { currently_due: expect.arrayContaining(['external_account']) } });

    // Stripe's link is single-use: opening it again lands on our refresh page, which sends a fresh one.
    const revisit = await fetch(link.body.url, { redirect: 'manual' });
    const refreshUrl = revisit.headers.get('location')!;
    expect(refreshUrl).toMatch(new RegExp(`^${kit.base}/connect/refresh/`));
    const refreshed = await fetch(refreshUrl, { redirect: 'manual' });
    expect(refreshed.status).toBe(303);
    const fresh = refreshed.headers.get('location')!;
    expect(fresh).toContain('/connect/onboarding/');
    expect(fresh).not.toBe(link.body.url);
    await kit.submitOnboarding(fresh, 'finish');
    const finished = await (await fetch(returnUrl)).text();
    expect(finished).toContain('Onboarding finished');
    expect(finished).toContain('Half Done Co can take payments');

    const forged = returnUrl.replace(/\.[A-Za-z0-9_-]{22}$/, '.AAAAAAAAAAAAAAAAAAAAAA');
    for (const url of [forged, forged.replace('/return/', '/refresh/'), `${kit.base}/connect/return/nonsense`]) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('This onboarding link is not valid');
    }
  });
});

describe('the platform fee override', () => {
  it('the operator sets, narrows and clears it; the merchant object shows the rule in force', async () => {
    const m = await kit.createMerchant('Fee Co');
    expect((await merchantView(m.id)).platform_fee).toEqual({ bps: 290, fixed: { usd: 30, eur: 25, jpy: 0 }, source: 'platform' });
    const patch = (body: unknown) => request(kit.app).patch(`/v1/merchants/${m.id}`).set(admin()).send(body as object);
    expect((await patch({ platform_fee: { bps: 500, fixed: { usd: 0 } } }).expect(200)).body.platform_fee).toEqual({ bps: 500, fixed: { usd: 0 }, source: 'merchant' });
    // A part left out falls back to the platform's.
    expect((await patch({ platform_fee: { bps: 100 } }).expect(200)).body.platform_fee).toEqual({ bps: 100, fixed: { usd: 30, eur: 25, jpy: 0 }, source: 'merchant' });
    expect((await patch({ platform_fee: null }).expect(200)).body.platform_fee).toEqual({ bps: 290, fixed: { usd: 30, eur: 25, jpy: 0 }, source: 'platform' });
  });
});

describe('bad input gets a clear 4xx problem', () => {
  it('onboarding links, fee overrides, balance and payouts', async () => {
    const m = await kit.createMerchant('Strict Co');
    const problem = (res: request.Response, status: number, code: string) => {
      expect({ status: res.status, type: res.type, code: res.body.code }).toEqual({ status, type: 'application/problem+json', code });
      return res.body as { detail: string; errors?: Array<{ field: string }> };
    };
    problem(await request(kit.app).post('/v1/merchants/mer_NoSuchMerchant000000/onboarding_link').set(admin()), 404, 'resource_missing');
    problem(await request(kit.app).post(`/v1/merchants/${m.id}/onboarding_link`).set(admin()).send({ country: 'US' }), 400, 'unknown_fields');
    problem(await request(kit.app).post(`/v1/merchants/${m.id}/onboarding_link`).set(key(m.apiKey)), 401, 'unauthorized');
    problem(await request(kit.app).post('/v1/account/onboarding_link').set(admin()), 401, 'unauthorized');

    const patch = (body: unknown) => request(kit.app).patch(`/v1/merchants/${m.id}`).set(admin()).send(body as object);
    expect(problem(await patch({ platform_fee: { bps: 10_001 } }), 400, 'validation_failed').errors).toEqual([{ field: 'platform_fee.bps', message: 'must be between 0 and 10000' }]);
    problem(await patch({ platform_fee: { bps: 2.5 } }), 400, 'validation_failed');
    expect(problem(await patch({ platform_fee: { fixed: { USD: 30 } } }), 400, 'validation_failed').detail).toContain('platform_fee.fixed');
    expect(problem(await patch({ platform_fee: { fixed: { xyz: 30 } } }), 400, 'validation_failed').detail).toContain('ISO 4217');
    problem(await patch({ platform_fee: { fixed: { usd: -1 } } }), 400, 'validation_failed');
    problem(await patch({ platform_fee: { fixed: { usd: '30' } } }), 400, 'validation_failed');
    problem(await patch({}), 400, 'validation_failed');
    problem(await patch({ platform_fee: { bps: 5 }, name: 'x' }), 400, 'unknown_fields');
    problem(await request(kit.app).patch('/v1/merchants/mer_NoSuchMerchant000000').set(admin()).send({ platform_fee: null }), 404, 'resource_missing');

    // Balance and payouts need an account: the merchant is told how to get one.
    expect(problem(await request(kit.app).get('/v1/balance').set(key(m.apiKey)), 409, 'account_not_onboarded').detail).toContain('onboarding_link');
    problem(await request(kit.app).get('/v1/payouts').set(key(m.apiKey)), 409, 'account_not_onboarded');
    problem(await request(kit.app).get('/v1/payouts?limit=0').set(key(m.apiKey)), 400, 'validation_failed');
    problem(await request(kit.app).get('/v1/payouts?starting_after=abc').set(key(m.apiKey)), 400, 'validation_failed');
    problem(await request(kit.app).get('/v1/payouts?page=2').set(key(m.apiKey)), 400, 'unknown_fields');
    problem(await request(kit.app).get('/v1/balance').set(admin()), 401, 'unauthorized');
  });

  it('every API answer matches openapi.yaml (the onboarding pages are HTML for people, not API)', () => {
    expect(conformanceProblems(kit.recorded, (r) => r.path.startsWith('/v1/'))).toEqual([]);
  });
});

describe('live mode', () => {
  let live: ConnectKit;
  beforeAll(async () => {
    live = await startConnectKit({ STRIPE_SECRET_KEY: 'sk_live_connect' }, { liveMode: true });
  });
  afterAll(async () => {
    await live?.close();
  });

  it('refuses products of a merchant with requirements due (409), and allows them once Stripe enables charges', async () => {
    const m = await live.createMerchant('Live Co');
    expect(m.apiKey).toMatch(/^hck_live_/);
    const product = { name: 'Live Mug', hashtag: 'BuyLiveMug', unit_amount: 1500, currency: 'usd', shipping: 'none' };
    const create = () => request(live.app).post('/v1/products').set(key(m.apiKey)).send(product);
    const refused = await create().expect(409);
    expect(refused.type).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'charges_not_enabled', detail: expect.stringContaining('onboarding') });

    const link = await request(live.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
    await live.submitOnboarding(link.body.url, 'later');
    await live.processStripeEvents();
    expect((await request(live.app).get('/v1/account').set(key(m.apiKey)).expect(200)).body).toMatchObject({ charges_enabled: false, requirements: { currently_due: expect.arrayContaining(['external_account']) } });
    expect((await create().expect(409)).body.code).toBe('charges_not_enabled');
    expect((await request(live.app).get('/v1/products').set(key(m.apiKey)).expect(200)).body.data).toEqual([]);

    const again = await request(live.app).post('/v1/account/onboarding_link').set(key(m.apiKey)).expect(201);
    await live.submitOnboarding(again.body.url, 'finish');
    await live.processStripeEvents();
    expect((await create().expect(201)).body).toMatchObject({ hashtag: '#BuyLiveMug', status: 'active' });
  });
});
