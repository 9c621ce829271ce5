import type { Page } from 'playwright-core';
import { eventually, startStack, type Stack } from '../../support/stack';
import { launchBrowser, type Browser } from './browser';

/**
 * Issue 14's "done when", as a new user would live it: the operator creates a merchant, the
 * merchant onboards to Stripe in a browser (leaving once, coming back), a buyer's post pays, and
 * the merchant's balance shows the sale less the platform fee, then its payout.
 */
jest.setTimeout(240_000);

let s: Stack;
let browser: Browser;

beforeAll(async () => {
  s = await startStack({ env: { PLATFORM_FEE_BPS: '290', PLATFORM_FEE_FIXED: 'usd:30,eur:25,jpy:0' } });
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

type Merchant = { stripe_account: string | null; charges_enabled: boolean; payouts_enabled: boolean; requirements: { currently_due: string[] } };

describe('a merchant gets paid through Stripe Connect', () => {
  it('onboards in the browser, sells, and sees the sale less the fee in its balance and payouts', async () => {
    // 1. The operator creates the merchant; it has no Stripe account yet, and sells on the platform meanwhile.
    const merchant = await s.createMerchant('Lamp Makers');
    const key = merchant.apiKey;
    expect((await s.api<Merchant>('GET', '/v1/account', key)).body).toMatchObject({ stripe_account: null, charges_enabled: false });

    // 2. The merchant asks for an onboarding link and opens it; it leaves for later the first time.
    const link = await s.api<{ url: string; account: string }>('POST', '/v1/account/onboarding_link', key);
    expect(link.status).toBe(201);
    const ctx = await browser.newContext();
    const page: Page = await ctx.newPage();
    await page.goto(link.body.url);
    await page.getByRole('button', { name: 'Leave for later' }).click();
    await page.waitForURL(`${s.apiUrl}/connect/return/**`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Onboarding is not finished yet');
    expect(await page.locator('main').innerText()).toContain('Still due:');
    await browser.shot(page, '41-connect-onboarding-still-due');

    // 3. It comes back through our page (a fresh Stripe link) and finishes.
    await page.getByRole('link', { name: 'Continue onboarding' }).click();
    await page.waitForURL(`${s.stripe.publicUrl}/connect/onboarding/**`);
    await page.getByRole('button', { name: 'Finish onboarding' }).click();
    await page.waitForURL(`${s.apiUrl}/connect/return/**`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Onboarding finished');
    await browser.shot(page, '42-connect-onboarding-finished');
    await ctx.close();

    // Stripe's account.updated reached the service through the webhook and the worker.
    await eventually(async () => (await s.db.query(`SELECT 1 FROM stripe_events WHERE type = 'account.updated' AND processed_at IS NOT NULL AND payload->'object'->>'charges_enabled' = 'true'`)).rowCount, 20_000, 'account.updated applied');
    expect((await s.api<Merchant>('GET', '/v1/account', key)).body).toMatchObject({ stripe_account: link.body.account, charges_enabled: true, payouts_enabled: true, requirements: { currently_due: [] } });

    // 4. It sells: a buyer posts the hashtag and pays.
    await s.createProduct(key, { name: 'Desk Lamp', hashtag: 'BuyDeskLamp', unit_amount: 4200, currency: 'usd', inventory: 5 });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyDeskLamp')), 15_000, 'a stream rule');
    const buyer = await s.buyer('lampfan');
    const post = s.post({ author_id: buyer.id, text: '@shop #BuyDeskLamp' });
    await eventually(() => s.repliesTo(post.id).find((r) => r.text.includes('Paid')), 30_000, 'the receipt');

    // 5. The balance shows the sale less the fee: $42.00 − (2.9 % = $1.22, + $0.30) = $40.48, pending.
    const balance = await s.api<{ available: unknown[]; pending: Array<{ amount: number; currency: string }> }>('GET', '/v1/balance', key);
    expect(balance.status).toBe(200);
    expect(balance.body.pending).toEqual([{ amount: 4048, currency: 'usd' }]);

    // 6. Stripe's schedule makes it available and pays it out: the payout is listed.
    for (const path of ['/_emulator/balance/release', '/_emulator/payouts']) {
      const res = await fetch(`${s.stripe.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: link.body.account }) });
      expect(res.ok).toBe(true);
    }
    const payouts = await s.api<{ data: Array<{ amount: number; currency: string; status: string }>; has_more: boolean }>('GET', '/v1/payouts', key);
    expect(payouts.body).toMatchObject({ has_more: false, data: [{ amount: 4048, currency: 'usd', status: 'paid' }] });
  });
});
