import type { Page } from 'playwright-core';
import { eventually, startStack, type Stack } from '../../support/stack';
import { launchBrowser, type Browser } from './browser';

jest.setTimeout(180_000);

let s: Stack;
let browser: Browser;
let key = '';

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  key = (await s.createMerchant('Parcel Co')).apiKey;
  await s.createProduct(key, { name: 'Green Mug', hashtag: 'BuyGreenMug', unit_amount: 2000, currency: 'usd' });
  await s.createProduct(key, { name: 'Big Lamp', hashtag: 'BuyBigLamp', unit_amount: 5000, currency: 'usd', shipping: 'required' });
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyBigLamp')), 15_000, 'stream rules');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const orderOf = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];
const lines = async (page: Page, selector: string) => (await page.locator(selector).allInnerTexts()).map((t) => t.trim());

describe('/account shows what happened to each purchase (headless Chromium, real processes, emulators)', () => {
  it('shows the shipment with its tracking link, every refund, and a canceled order', async () => {
    const buyer = await s.buyer('frida');
    // A paid order, shipped, then refunded in two parts.
    const paidPost = s.post({ author_id: buyer.id, text: '@shop #BuyGreenMug' });
    await eventually(async () => (await orderOf(paidPost.id))?.status === 'paid', 30_000, 'paid order');
    const paid = (await orderOf(paidPost.id)).id as string;
    const shipped = await s.api('POST', `/v1/orders/${paid}/fulfillments`, key, {
      carrier: 'Royal <b>Mail</b>', tracking_number: 'RM123456789GB', tracking_url: 'https://track.example.com/parcel?id=RM123456789GB&lang=en',
    });
    expect(shipped.status).toBe(200);
    expect((await s.api('POST', `/v1/orders/${paid}/refunds`, key, { amount: 500 })).status).toBe(201);
    expect((await s.api('POST', `/v1/orders/${paid}/refunds`, key, { amount: 300 })).status).toBe(201);
    // An order waiting for an address (the buyer has none), canceled by the shop.
    const lampPost = s.post({ author_id: buyer.id, text: '@shop #BuyBigLamp' });
    await eventually(async () => (await orderOf(lampPost.id))?.status === 'awaiting_details', 30_000, 'order waiting for an address');
    const lamp = (await orderOf(lampPost.id)).id as string;
    expect((await s.api('POST', `/v1/orders/${lamp}/cancel`, key)).status).toBe(200);

    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${s.apiUrl}/account`);
    await page.getByRole('button', { name: 'Sign in with X' }).click();
    await page.waitForURL(`${s.x.url}/i/oauth2/authorize**`);
    await page.check(`#user-${buyer.id}`);
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await page.waitForURL(`${s.apiUrl}/account**`);

    const row = page.locator(`#order-${paid}`);
    expect(await row.locator('.status').innerText()).toBe('Partly refunded');
    // The merchant's text is shown as text, never as markup.
    expect(await row.locator('.shipment').innerText()).toBe(`Shipped ${new Date().toISOString().slice(0, 10)} · Royal <b>Mail</b> · tracking number RM123456789GB · Track the parcel`);
    expect(await row.locator('.shipment b').count()).toBe(0);
    const track = row.getByRole('link', { name: 'Track the parcel' });
    expect(await track.getAttribute('href')).toBe('https://track.example.com/parcel?id=RM123456789GB&lang=en');
    expect(await track.getAttribute('rel')).toBe('noopener noreferrer');
    const today = new Date().toISOString().slice(0, 10);
    expect(await lines(page, `#order-${paid} .refunds li`)).toEqual([`Refund of $5.00 · done · ${today}`, `Refund of $3.00 · done · ${today}`]);

    const canceled = page.locator(`#order-${lamp}`);
    expect(await canceled.locator('.status').innerText()).toBe('Canceled by the shop: you have not been charged');
    expect(await canceled.locator('.shipment').count()).toBe(0);
    expect(await canceled.locator('.refunds').count()).toBe(0);
    await browser.shot(page, '30-account-orders');

    // Only https links are links: a tracking URL of another kind shows as nothing clickable.
    await s.db.query(`UPDATE orders SET fulfillment_tracking_url = 'javascript:alert(1)' WHERE id = $1`, [paid]);
    await page.reload();
    expect(await row.locator('.shipment').innerText()).toBe(`Shipped ${today} · Royal <b>Mail</b> · tracking number RM123456789GB`);
    expect(await row.locator('.shipment a').count()).toBe(0);
    await ctx.close();
  });
});
