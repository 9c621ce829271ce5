import type { Page } from 'playwright-core';
import { eventually, startStack, type Stack } from '../../support/stack';
import { readmeVerifier, startReceiver, type Receiver } from '../../integration/webhooks/helpers';
import { launchBrowser, type Browser } from './browser';

/**
 * Issue 11's "done when", as a new merchant and a buyer would live it: the merchant uses REST alone
 * (product, webhook endpoint, fulfilment, refund), the buyer only X and /account.
 */
jest.setTimeout(240_000);

let s: Stack;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
  await receiver?.close();
});

type Event = { id: string; type: string; data: { object: Record<string, unknown> } };
const verify = readmeVerifier();
const reply = (tweetId: string, phrase: string) =>
  eventually(() => s.repliesTo(tweetId).find((r) => r.text.includes(phrase)), 30_000, `a reply to ${tweetId} containing "${phrase}"`);
const orderIdOf = async (tweetId: string) =>
  eventually(async () => (await s.db.query<{ id: string }>('SELECT id FROM orders WHERE tweet_id = $1', [tweetId])).rows[0]?.id, 20_000, 'the order');

describe('a merchant runs a shop over REST alone; the buyer sees each step on X and on /account', () => {
  it('signed order.paid with the address, fulfilment with tracking, a refund with restock, and a buyer #cancel turned into a refund', async () => {
    const key = (await s.createMerchant('Walkthrough Goods')).apiKey;
    const endpoint = await s.api<{ id: string; secret: string }>('POST', '/v1/webhook_endpoints', key, {
      url: receiver.url, enabled_events: ['order.paid', 'order.fulfilled', 'order.refunded'],
    });
    expect(endpoint.status).toBe(201);
    const product = await s.createProduct(key, {
      name: 'Field Lamp', hashtag: 'BuyFieldLamp', unit_amount: 4200, currency: 'usd', inventory: 10, shipping: 'required', shipping_countries: ['GB'],
    });
    expect(product).toMatchObject({ cancel_window_minutes: 15, shipping: 'required' });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyFieldLamp')), 15_000, 'a stream rule');

    const buyer = s.x.createUser({ username: 'wren' });
    const linked = await s.api('POST', '/v1/sandbox/buyers', s.admin, {
      x_user_id: buyer.id, x_username: 'wren', payment_method: 'pm_card_visa',
      shipping: { name: 'Wren Ash', line1: '1 Canal Street', city: 'Manchester', postal_code: 'M1 3HE', country: 'GB' },
    });
    expect(linked).toMatchObject({ status: 201, body: { has_shipping_address: true } });

    // 1. A purchase: the merchant hears of it by a signed webhook that carries where to ship.
    const shipPost = s.post({ author_id: buyer.id, text: '@shop #BuyFieldLamp' });
    expect((await reply(shipPost.id, 'Paid')).text).toContain('Field Lamp');
    const shipped = await orderIdOf(shipPost.id);
    const paidDelivery = await eventually(() => receiver.received.find((r) => String(r.body).includes(shipped) && String(r.body).includes('"order.paid"')), 20_000, 'order.paid webhook');
    const paid = verify(paidDelivery.body, String(paidDelivery.headers['hashtag-checkout-signature']), endpoint.body.secret) as Event;
    expect(paid.type).toBe('order.paid');
    expect(paid.data.object).toMatchObject({
      id: shipped, status: 'paid', amount: 4200,
      shipping: expect.objectContaining({ name: 'Wren Ash', line1: '1 Canal Street', city: 'Manchester', postal_code: 'M1 3HE', country: 'GB' }),
    });
    // The address is the merchant's: the public reply never carries it.
    expect(s.repliesTo(shipPost.id).map((r) => r.text).join(' ')).not.toMatch(/Canal|Manchester|Wren Ash/);

    // 2. Fulfilment with tracking: the buyer is told on X.
    const fulfil = await s.api('POST', `/v1/orders/${shipped}/fulfillments`, key, { carrier: 'Royal Mail', tracking_number: 'RM987654321GB', tracking_url: 'https://track.example.com/RM987654321GB' });
    expect(fulfil).toMatchObject({ status: 200, body: { fulfillment_status: 'fulfilled' } });
    expect((await reply(shipPost.id, 'On its way')).text).toContain('https://track.example.com/RM987654321GB');

    // 3. Another order refunded by the merchant, with restock.
    const refundPost = s.post({ author_id: buyer.id, text: '@shop #BuyFieldLamp another one' });
    await reply(refundPost.id, 'Paid');
    const refunded = await orderIdOf(refundPost.id);
    expect((await s.api('GET', `/v1/products/${product.id}`, key)).body).toMatchObject({ inventory_remaining: 8 });
    const refund = await s.api('POST', `/v1/orders/${refunded}/refunds`, key, { restock: true, reason: 'requested_by_customer' });
    expect(refund).toMatchObject({ status: 201, body: { status: 'succeeded', amount: 4200 } });
    expect((await reply(refundPost.id, 'refunded')).text).toBe(`Order ${refunded} for Field Lamp was refunded ($42.00).`);
    expect((await s.api('GET', `/v1/products/${product.id}`, key)).body).toMatchObject({ inventory_remaining: 9 });

    // 4. The buyer answers a third receipt with #cancel inside the window: a full refund, the unit back.
    const cancelPost = s.post({ author_id: buyer.id, text: '@shop #BuyFieldLamp one more' });
    const receipt = await reply(cancelPost.id, 'Paid');
    const canceled = await orderIdOf(cancelPost.id);
    const cancel = s.post({ author_id: buyer.id, text: '@shop #cancel sorry', in_reply_to_tweet_id: receipt.id });
    expect((await reply(cancel.id, 'Canceled')).text).toBe(`Canceled: order ${canceled} for Field Lamp. $42.00 is on its way back to your card.`);
    expect((await s.api('GET', `/v1/orders/${canceled}`, key)).body).toMatchObject({ status: 'refunded', amount_refunded: 4200 });
    expect((await s.api('GET', `/v1/products/${product.id}`, key)).body).toMatchObject({ inventory_remaining: 9 });

    // The merchant was told of every step, each delivery signed.
    const types = await eventually(() => {
      const got = receiver.received.map((r) => verify(r.body, String(r.headers['hashtag-checkout-signature']), endpoint.body.secret) as Event);
      const mine = got.filter((e) => [shipped, refunded, canceled].includes(String(e.data.object.id))).map((e) => `${e.type} ${e.data.object.id}`);
      return mine.length >= 6 && mine.sort();
    }, 20_000, 'six webhook deliveries');
    expect(types).toEqual([
      `order.fulfilled ${shipped}`, `order.paid ${canceled}`, `order.paid ${refunded}`, `order.paid ${shipped}`, `order.refunded ${canceled}`, `order.refunded ${refunded}`,
    ].sort());

    // 5. The buyer sees all of it on /account.
    const ctx = await browser.newContext();
    const page: Page = await ctx.newPage();
    await page.goto(`${s.apiUrl}/account`);
    await page.getByRole('button', { name: 'Sign in with X' }).click();
    await page.waitForURL(`${s.x.url}/i/oauth2/authorize**`);
    await page.check(`#user-${buyer.id}`);
    await page.getByRole('button', { name: 'Authorize app' }).click();
    await page.waitForURL(`${s.apiUrl}/account**`);
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.locator(`#order-${shipped} .shipment`).innerText()).toBe(`Shipped ${today} · Royal Mail · tracking number RM987654321GB · Track the parcel`);
    expect(await page.locator(`#order-${refunded} .status`).innerText()).toBe('Refunded');
    expect((await page.locator(`#order-${refunded} .refunds li`).allInnerTexts()).map((t) => t.trim())).toEqual([`Refund of $42.00 · done · ${today}`]);
    expect(await page.locator(`#order-${canceled} .status`).innerText()).toBe('Refunded');
    expect((await page.locator(`#order-${canceled} .refunds li`).allInnerTexts()).map((t) => t.trim())).toEqual([`Refund of $42.00 · done · ${today}`]);
    expect(await page.locator('body').innerText()).toContain('1 Canal Street');
    await browser.shot(page, '31-merchant-walkthrough-account');
    await ctx.close();
  });
});
