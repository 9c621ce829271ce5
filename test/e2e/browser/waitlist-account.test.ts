import { eventually, startStack, type Stack } from '../../support/stack';
import { launchBrowser, type Browser } from './browser';

jest.setTimeout(180_000);

let s: Stack;
let browser: Browser;
let key = '';
let productId = '';

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  key = (await s.createMerchant('Line Co')).apiKey;
  productId = (await s.createProduct(key, { name: 'Queue Mug', hashtag: 'BuyQueueMug', unit_amount: 1500, currency: 'usd', inventory: 1 })).id;
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyQueueMug')), 15_000, 'stream rules');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const orderOf = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];
const statusIs = (tweetId: string, status: string) => eventually(async () => (await orderOf(tweetId))?.status === status, 30_000, `order ${status}`);

describe('the waitlist as a buyer sees it (headless Chromium, real processes, emulators)', () => {
  it('shows my place in line on /account, moving up when a unit frees; the sale page shows counts, never who', async () => {
    const first = await s.buyer('first_in');
    const second = await s.buyer('second_in');
    const third = await s.buyer('third_in');
    const paidPost = s.post({ author_id: first.id, text: '@shop #BuyQueueMug' });
    await statusIs(paidPost.id, 'paid');
    const secondPost = s.post({ author_id: second.id, text: '@shop #BuyQueueMug' });
    await statusIs(secondPost.id, 'waitlisted');
    const thirdPost = s.post({ author_id: third.id, text: '@shop #BuyQueueMug' });
    await statusIs(thirdPost.id, 'waitlisted');
    const mine = (await orderOf(thirdPost.id)).id as string;

    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${s.apiUrl}/account`);
    await page.getByRole('button', { name: 'Sign in with X' }).click();
    await page.waitForURL(`${s.x.url}/i/oauth2/authorize**`);
    await page.check(`#user-${third.id}`);
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await page.waitForURL(`${s.apiUrl}/account**`);

    const row = page.locator(`#order-${mine}`);
    expect(await row.locator('.status').innerText()).toMatch(/^On the waitlist\n/);
    expect(await row.locator('.position').innerText()).toBe('Number 2 in line');
    await browser.shot(page, '40-account-waitlist');

    // The public sale page: counts only.
    await row.getByRole('link', { name: 'sale page' }).click();
    await page.waitForURL(`${s.apiUrl}/products/${productId}`);
    expect(await page.locator('h1').innerText()).toBe('Queue Mug');
    expect(await page.locator('#units-left').innerText()).toBe('0');
    expect(await page.locator('#people-waiting').innerText()).toBe('2');
    const html = await page.content();
    for (const who of ['first_in', 'second_in', 'third_in', first.id, second.id, third.id]) expect(html).not.toContain(who);
    await browser.shot(page, '41-sale-page');

    // The shop refunds the first buyer and restocks: the second in line is charged, I move up.
    const paidId = (await orderOf(paidPost.id)).id as string;
    expect((await s.api('POST', `/v1/orders/${paidId}/refunds`, key, { restock: true })).status).toBe(201);
    await statusIs(secondPost.id, 'paid');
    await page.goto(`${s.apiUrl}/account`);
    expect(await row.locator('.position').innerText()).toBe('Number 1 in line');
    await page.goto(`${s.apiUrl}/products/${productId}`);
    expect(await page.locator('#people-waiting').innerText()).toBe('1');

    // "Always ask me to confirm", saved from the account page.
    await page.goto(`${s.apiUrl}/account`);
    const box = page.getByLabel('Always ask me to confirm');
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(`${s.apiUrl}/account?confirm=on`);
    expect(await page.locator('.notice').innerText()).toMatch(/waits for your #confirm reply/);
    expect(await page.getByLabel('Always ask me to confirm').isChecked()).toBe(true);
    expect((await s.db.query('SELECT always_confirm FROM buyers WHERE x_user_id = $1', [third.id])).rows[0].always_confirm).toBe(true);

    // Another unit frees: my turn, and since I asked, it waits for my #confirm; the page says by when.
    const secondId = (await orderOf(secondPost.id)).id as string;
    expect((await s.api('POST', `/v1/orders/${secondId}/refunds`, key, { restock: true })).status).toBe(201);
    await statusIs(thirdPost.id, 'awaiting_confirmation');
    await page.goto(`${s.apiUrl}/account`);
    expect(await row.locator('.confirm-by').innerText()).toMatch(/^Reply #confirm by \d\d:\d\d UTC$/);
    const ask = await eventually(() => s.repliesTo(thirdPost.id).find((r) => r.text.startsWith('Reply #confirm')), 30_000, 'the confirm request');
    // The ingest's stream rule brings in my #confirm reply; the order is charged.
    s.post({ author_id: third.id, text: '@shop #confirm', in_reply_to_tweet_id: ask.id });
    await statusIs(thirdPost.id, 'paid');
    await ctx.close();
  });
});
