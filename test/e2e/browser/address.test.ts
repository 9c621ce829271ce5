import type { BrowserContext, Page } from 'playwright-core';
import { eventually, startStack, type Stack } from '../../support/stack';
import { launchBrowser, type Browser } from './browser';

jest.setTimeout(180_000);

let s: Stack;
let browser: Browser;
let ctx: BrowserContext;
let buyerId = '';
let firstOrder = '';
let firstPost = '';
let merchantKey = '';

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  const key = (await s.createMerchant('Mug Co')).apiKey;
  merchantKey = key;
  await s.createProduct(key, { name: 'Red Mug', hashtag: 'BuyRedMug', unit_amount: 1500, currency: 'usd', shipping: 'required', shipping_countries: ['US', 'CA'], inventory: 50 });
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyRedMug')), 15_000, 'stream rule');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const customerOf = async (xUserId: string) => {
  const { rows } = await s.db.query('SELECT stripe_customer_id FROM buyers WHERE x_user_id = $1', [xUserId]);
  return s.stripe.customers().find((c) => c.id === rows[0]?.stripe_customer_id);
};
const orderOf = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];
const intentsFor = (orderId: string) => s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === orderId);
const fill = async (page: Page, fields: Record<string, string>) => {
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'country') await page.selectOption('#country', value);
    else await page.fill(`#${name}`, value);
  }
};

describe('shipping address page in a browser (headless Chromium, real processes, emulators)', () => {
  it('asks a new buyer where to ship right after the card, checks it on the server, and stores it on the Stripe customer', async () => {
    buyerId = (await s.buyer('dora', null)).id;
    const post = s.post({ author_id: buyerId, text: '@shop #BuyRedMug' });
    const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'signup reply');
    const link = /(http:\/\/\S+\/link\/\S+)/.exec(reply!.text)![1]!;

    ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(link);
    await page.getByRole('button', { name: 'Continue with X' }).click();
    await page.waitForURL(`${s.x.url}/i/oauth2/authorize**`);
    await page.check(`#user-${buyerId}`);
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await page.waitForURL(`${s.stripe.url}/c/pay/**`);
    await page.check('input[name=payment_method][value=pm_card_visa]');
    await page.getByRole('button', { name: 'Save card' }).click();

    await page.waitForURL(`${s.apiUrl}/account/address?order=**`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Where should we ship it?');
    // The card is saved, but nothing is charged before there is an address: the order waits, its unit
    // held (the mug's stock is limited; unlimited stock holds no units).
    firstPost = post.id;
    firstOrder = (await orderOf(post.id)).id;
    await eventually(async () => (await orderOf(post.id)).status === 'awaiting_details', 15_000, 'order waits for the address');
    expect((await orderOf(post.id)).stock_held).toBe(true);
    expect(intentsFor(firstOrder)).toHaveLength(0);
    await browser.shot(page, '20-address-signup');

    // Nothing filled in: a 400 page naming what is missing, no address saved anywhere.
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#name-error').textContent()).toBe('Enter the name to ship to.');
    expect(await page.locator('#line1-error').textContent()).toBe('Enter the street address.');
    expect(await page.locator('#country-error').textContent()).toBe('Choose a country.');
    await browser.shot(page, '21-address-errors');

    // A state that is not one of the country's (from the data package) is refused; what was typed stays.
    await fill(page, { name: 'Dora Explorer', line1: '1 Main St', city: 'Springfield', state: 'Narnia', postal_code: '62701', country: 'US' });
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#state-error').textContent()).toBe('Choose a state or region of United States from the list.');
    expect(await page.inputValue('#line1')).toBe('1 Main St');
    expect((await customerOf(buyerId))?.shipping).toBeNull();

    await page.fill('#state', 'Illinois');
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.waitForURL(`${s.apiUrl}/welcome**`);
    await page.waitForSelector('#order-status[data-status=paid]', { timeout: 30_000 });

    // Stripe's wire format: the state as its ISO 3166-2 code, absent parts null.
    const shipped = {
      name: 'Dora Explorer', phone: null,
      address: { line1: '1 Main St', line2: null, city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
    };
    expect((await customerOf(buyerId))?.shipping).toEqual(shipped);
    // The charge carries the address to Stripe, and the order keeps its snapshot.
    const [intent] = intentsFor(firstOrder);
    expect(intent).toMatchObject({ status: 'succeeded', shipping: { ...shipped, carrier: null, tracking_number: null } });
    expect((await orderOf(post.id)).shipping).toMatchObject({ line1: '1 Main St', state: 'IL', country: 'US' });
    // The merchant reads the same address over the API (GET /v1/orders/{id}).
    const viaApi = await s.api<{ shipping: Record<string, unknown> | null }>('GET', `/v1/orders/${firstOrder}`, merchantKey);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.shipping).toMatchObject({ name: expect.any(String), line1: '1 Main St', state: 'IL', country: 'US' });
    await eventually(() => s.repliesTo(post.id).some((r) => r.text.startsWith('Paid')), 20_000, 'receipt');
  });

  it('/account shows the address and lets the buyer change it', async () => {
    const page = await ctx.newPage();
    await page.goto(`${s.apiUrl}/account`);
    const summary = await page.locator('#address-summary').innerText();
    expect(summary.split('\n')).toEqual(['Dora Explorer', '1 Main St', 'Springfield, Illinois, 62701', 'United States']);
    await browser.shot(page, '22-account-address');

    await page.getByRole('link', { name: 'Change address' }).click();
    await page.waitForURL(`${s.apiUrl}/account/address`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Change your shipping address');
    expect(await page.inputValue('#state')).toBe('Illinois');
    expect(await page.inputValue('#country')).toBe('US');
    await fill(page, { line1: '<b>9</b> Rue de la Paix', line2: 'Apt 3', city: 'Montréal', state: 'qc', postal_code: 'h2x 1y4', country: 'CA', phone: '+1 514 555 0100' });
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.waitForURL(`${s.apiUrl}/account?address=saved`);
    expect(await page.getByRole('status').textContent()).toBe('Your shipping address is saved.');
    // Escaped, never markup.
    expect((await page.locator('#address-summary').innerText()).split('\n'))
      .toEqual(['Dora Explorer', '<b>9</b> Rue de la Paix', 'Apt 3', 'Montréal, Quebec, H2X 1Y4', 'Canada', '+1 514 555 0100']);
    await browser.shot(page, '23-account-address-changed');
    expect((await customerOf(buyerId))?.shipping).toMatchObject({
      phone: '+1 514 555 0100', address: { line1: '<b>9</b> Rue de la Paix', line2: 'Apt 3', city: 'Montréal', state: 'QC', postal_code: 'H2X 1Y4', country: 'CA' },
    });
    // A past order keeps the address it was bought with.
    expect((await orderOf(firstPost)).shipping).toMatchObject({ line1: '1 Main St', city: 'Springfield' });
    await page.close();
  });

  it('a buyer linked before addresses existed is asked for one by reply; the order then completes by itself', async () => {
    const old = await s.buyer('olly');
    const post = s.post({ author_id: old.id, text: '@shop #BuyRedMug' });
    const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'address reply');
    const order = await orderOf(post.id);
    expect(order).toMatchObject({ status: 'awaiting_details', stock_held: true });
    expect(intentsFor(order.id)).toHaveLength(0);
    expect(reply!.text).toContain(order.id);
    const url = /(http:\/\/\S+\/account\/address\?order=\S+)/.exec(reply!.text)![1]!;

    const olly = await browser.newContext();
    const page = await olly.newPage();
    await page.goto(`${s.apiUrl}/account`);
    await page.getByRole('button', { name: 'Sign in with X' }).click();
    await page.waitForURL(`${s.x.url}/i/oauth2/authorize**`);
    await page.check(`#user-${old.id}`);
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await page.waitForURL(`${s.apiUrl}/account**`);
    await page.goto(url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Where should we ship it?');
    await fill(page, { name: 'Olly Old', line1: '5 Elm Rd', city: 'Toronto', state: 'Ontario', postal_code: 'M5V 2T6', country: 'CA' });
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.waitForURL(`${s.apiUrl}/welcome**`);
    await page.waitForSelector('#order-status[data-status=paid]', { timeout: 30_000 });
    expect(intentsFor(order.id)[0]?.shipping).toMatchObject({ name: 'Olly Old', address: { city: 'Toronto', state: 'ON', country: 'CA' } });
    await eventually(() => s.repliesTo(post.id).some((r) => r.text.startsWith('Paid')), 20_000, 'receipt');
    // Public replies never carry the address.
    for (const r of s.repliesTo(post.id)) expect(r.text).not.toMatch(/Elm|Toronto|M5V|Olly Old/);
    for (const r of s.repliesTo(firstPost)) expect(r.text).not.toMatch(/Main St|Springfield|62701|Dora Explorer/);
    await olly.close();
  });

  it('no process logs an address', () => {
    const out = [...s.procs.values()].map((p) => p.output()).join('\n');
    expect(out).toContain('buyer saved a shipping address');
    for (const part of ['Dora Explorer', '1 Main St', 'Springfield', '62701', 'Rue de la Paix', 'Montréal', 'H2X 1Y4', '514 555 0100', 'Olly Old', '5 Elm Rd', 'Toronto', 'M5V 2T6']) {
      expect([part, out.includes(part)]).toEqual([part, false]);
    }
  });

  it('refuses the form without its CSRF token and without a session', async () => {
    const res = await fetch(`${s.apiUrl}/account/address`, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=x&line1=y&city=z&country=US&state=IL',
    });
    expect([303, 403]).toContain(res.status);
    const page = await ctx.newPage();
    await page.goto(`${s.apiUrl}/account/address`);
    await page.locator('input[name=_csrf]').evaluate((el) => el.setAttribute('value', 'forged'));
    await page.fill('#name', 'Mallory');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/account/address') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Save address' }).click()]);
    expect(response.status()).toBe(403);
    expect((await customerOf(buyerId))?.shipping).toMatchObject({ name: 'Dora Explorer' });
    await page.close();
  });
});
