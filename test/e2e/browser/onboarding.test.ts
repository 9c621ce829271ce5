import type { BrowserContext, Page } from 'playwright-core';
import { eventually, startStack, type Stack } from '../../support/stack';
import { launchBrowser, type Browser } from './browser';

jest.setTimeout(180_000);

let s: Stack;
let key: string;
let browser: Browser;
let alice: BrowserContext;

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  key = (await s.createMerchant('Mug Co')).apiKey;
  // Not shipped, so the card is the whole signup here; address.test.ts covers the address step.
  await s.createProduct(key, { name: 'Blue Mug', hashtag: 'BuyBlueMug', unit_amount: 1800, currency: 'usd', inventory: 10, shipping: 'none' });
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyBlueMug')), 15_000, 'stream rule');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const orderOf = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];
const buyerRow = async (xUserId: string) => (await s.db.query('SELECT * FROM buyers WHERE x_user_id = $1', [xUserId])).rows[0];
const intentsFor = (orderId: string) => s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === orderId);

/** Posts as the buyer and waits for our reply; returns the post and the reply text. */
async function postAndReply(authorId: string, text = '@shop #BuyBlueMug'): Promise<{ postId: string; reply: string }> {
  const post = s.post({ author_id: authorId, text });
  const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'reply');
  return { postId: post.id, reply: reply!.text };
}
const linkIn = (reply: string) => /(http:\/\/\S+\/link\/\S+)/.exec(reply)?.[1] ?? '';

/** On the X emulator's consent page: sign in as this account. */
async function authorizeOnX(page: Page, userId: string, shot?: string) {
  await page.waitForURL(`${s.x.url}/i/oauth2/authorize**`);
  await page.check(`#user-${userId}`);
  if (shot) await browser.shot(page, shot);
  await page.getByRole('button', { name: 'Authorize app' }).click();
}

/** On the Stripe emulator's hosted Checkout: save this test card. */
async function saveCardOnStripe(page: Page, card: string, shot?: string) {
  await page.waitForURL(`${s.stripe.url}/c/pay/**`);
  await page.check(`input[name=payment_method][value=${card}]`);
  if (shot) await browser.shot(page, shot);
  await page.getByRole('button', { name: 'Save card' }).click();
}

describe('buyer onboarding in a browser (headless Chromium, real processes, emulators)', () => {
  let alicePost = '';
  let aliceLink = '';
  let aliceId = '';

  it('unknown buyer: reply link → sign in with X → Stripe Checkout → success page shows paid; receipt reply', async () => {
    aliceId = (await s.buyer('alice', null)).id;
    const { postId, reply } = await postAndReply(aliceId);
    aliceLink = linkIn(reply);
    alicePost = postId;
    expect(aliceLink).toContain('/link/');

    alice = await browser.newContext();
    const page = await alice.newPage();
    const started = Date.now();
    const res = await page.goto(aliceLink);
    expect(res!.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Finish your purchase');
    expect(await page.locator('#item').textContent()).toBe('Blue Mug');
    expect(await page.locator('#price').textContent()).toBe('$18.00');
    expect(await page.locator('#merchant').textContent()).toBe('Mug Co');
    await browser.shot(page, '01-link');

    await page.getByRole('button', { name: 'Continue with X' }).click();
    await authorizeOnX(page, aliceId, '02-x-consent');
    await saveCardOnStripe(page, 'pm_card_visa', '03-stripe-checkout');

    await page.waitForURL(`${s.apiUrl}/welcome**`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/on its way/);
    await browser.shot(page, '04-success-pending');
    // The page follows the order by itself: no reload.
    await page.waitForSelector('#order-status[data-status=paid]', { timeout: 30_000 });
    const elapsed = Date.now() - started;
    expect(await page.locator('#order-status').textContent()).toBe('Paid');
    await browser.shot(page, '05-success-paid');
    console.log(`buyer path (link opened → success page shows paid): ${elapsed} ms`);
    expect(elapsed).toBeLessThan(60_000);

    const order = await orderOf(postId);
    expect(order.status).toBe('paid');
    expect(intentsFor(order.id)).toHaveLength(1);
    await eventually(() => s.repliesTo(postId).some((r) => r.text.startsWith('Paid') && r.text.includes(order.id)), 20_000, 'receipt reply');
    const buyer = await buyerRow(aliceId);
    expect(buyer).toMatchObject({ card_brand: 'visa', card_last4: '4242' });
    // One Stripe customer per X user id, and the card is usable off-session (the charge above was off-session).
    expect(s.stripe.paymentIntents().filter((pi) => pi.customer === buyer.stripe_customer_id)).toHaveLength(1);
  });

  it('a used link, an expired link and a forged link each get a clear HTML page, never a stack trace', async () => {
    const page = await alice.newPage();
    const used = await page.goto(aliceLink);
    expect(used!.status()).toBe(410);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link has already been used');
    expect(await page.getByRole('link', { name: 'Go to your account' }).count()).toBe(1);
    await browser.shot(page, '06-link-used');

    const bob = await s.buyer('bob', null);
    const { postId, reply } = await postAndReply(bob.id);
    await s.db.query(`UPDATE signup_tokens SET expires_at = now() - interval '1 minute' WHERE order_id = $1`, [(await orderOf(postId)).id]);
    const expired = await page.goto(linkIn(reply));
    expect(expired!.status()).toBe(410);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link has expired');
    expect(await page.textContent('main')).toMatch(/Post again/);
    await browser.shot(page, '07-link-expired');

    const forged = await page.goto(aliceLink.slice(0, -1) + (aliceLink.endsWith('A') ? 'B' : 'A'));
    expect(forged!.status()).toBe(404);
    expect(forged!.headers()['content-type']).toMatch(/text\/html/);
    const body = await page.content();
    expect(body).toContain('This link is not valid');
    expect(body).not.toMatch(/Error:|at .*\.ts:\d+/);
    await browser.shot(page, '08-link-forged');
    await page.close();
  });

  it('someone else signing in on a public link is refused, learns nothing, and links nothing', async () => {
    const carol = await s.buyer('carol', null);
    const mallory = s.x.createUser({ username: 'mallory' });
    const { postId, reply } = await postAndReply(carol.id);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(linkIn(reply));
    await page.getByRole('button', { name: 'Continue with X' }).click();
    await authorizeOnX(page, mallory.id);
    await page.waitForURL(`${s.apiUrl}/auth/x/callback**`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This purchase was posted from a different X account');
    const text = await page.textContent('main');
    expect(text).toContain('@mallory');
    expect(text).not.toContain('carol');
    await browser.shot(page, '09-wrong-account');
    expect(page.url()).not.toContain(s.stripe.url);
    expect(await buyerRow(mallory.id)).toBeUndefined();
    expect((await orderOf(postId)).status).toBe('awaiting_signup');
    // Not signed in as mallory either: the account page offers sign-in.
    await page.goto(`${s.apiUrl}/account`);
    expect(await page.getByRole('button', { name: 'Sign in with X' }).count()).toBe(1);
    // The link stays good for its owner.
    expect((await page.goto(linkIn(reply)))!.status()).toBe(200);
    await ctx.close();
  });

  it('a card that fails: declined at Checkout (the page says so), then one that saves but fails to charge → success page shows failed', async () => {
    const dave = await s.buyer('dave', null);
    const { postId, reply } = await postAndReply(dave.id);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(linkIn(reply));
    await page.getByRole('button', { name: 'Continue with X' }).click();
    await authorizeOnX(page, dave.id);
    await saveCardOnStripe(page, 'pm_card_chargeDeclined');
    await page.waitForSelector('#error');
    expect(await page.textContent('#error')).toMatch(/declined/i);
    await browser.shot(page, '10-stripe-declined');
    expect((await buyerRow(dave.id)).payment_method_id).toBeNull();

    await saveCardOnStripe(page, 'pm_card_chargeCustomerFail');
    await page.waitForURL(`${s.apiUrl}/welcome**`);
    await page.waitForSelector('#order-status[data-status=failed]', { timeout: 30_000 });
    expect(await page.textContent('#order-status')).toMatch(/Payment failed/);
    await browser.shot(page, '11-success-failed');
    const order = await orderOf(postId);
    expect(order.status).toBe('failed');
    await eventually(() => s.repliesTo(postId).some((r) => /declined/i.test(r.text)), 20_000, 'declined reply');
    await ctx.close();
  });

  it('an interrupted buyer (left Checkout) continues from /account; sold out by then → the page and a reply say so, no charge', async () => {
    await s.createProduct(key, { name: 'Last Mug', hashtag: 'BuyLastMug', unit_amount: 2500, currency: 'usd', inventory: 1, shipping: 'none', waitlist: false });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyLastMug')), 15_000, 'stream rule');
    const erin = await s.buyer('erin', null);
    const { postId, reply } = await postAndReply(erin.id, '@shop #BuyLastMug');
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(linkIn(reply));
    await page.getByRole('button', { name: 'Continue with X' }).click();
    await authorizeOnX(page, erin.id);
    await page.waitForURL(`${s.stripe.url}/c/pay/**`);
    await page.getByRole('link', { name: 'Cancel and return' }).click();
    await page.waitForURL(`${s.apiUrl}/account?card=canceled`);
    expect(await page.textContent('table')).toContain('Waiting for your card');
    await browser.shot(page, '12a-account-waiting');

    // Meanwhile a linked buyer takes the last one.
    const gina = await s.buyer('gina');
    await postAndReply(gina.id, '@shop #BuyLastMug');

    await page.getByRole('button', { name: 'Add a card' }).click();
    await saveCardOnStripe(page, 'pm_card_visa');
    await page.waitForURL(`${s.apiUrl}/welcome**`);
    await page.waitForSelector('#order-status[data-status=sold_out]', { timeout: 30_000 });
    expect(await page.textContent('#order-status')).toMatch(/Sold out/);
    await browser.shot(page, '12b-success-sold-out');
    const order = await orderOf(postId);
    expect(order.status).toBe('sold_out');
    expect(intentsFor(order.id)).toHaveLength(0);
    await eventually(() => s.repliesTo(postId).some((r) => /sold out/.test(r.text)), 20_000, 'sold-out reply');
    await ctx.close();
  });

  it('account: card from Stripe, purchases, daily limit enforced on the next post (reply, no charge), unlink → signup link again, sign out', async () => {
    const page = await alice.newPage();
    await page.goto(`${s.apiUrl}/account`);
    expect(await page.textContent('#card-summary')).toBe('Visa ending in 4242');
    expect(await page.textContent('table')).toContain('Blue Mug');
    expect(await page.textContent('table')).toContain('Paid');
    await browser.shot(page, '12-account');

    // Replace the card: Checkout again; the webhook swaps it and the old one is detached.
    await page.getByRole('button', { name: 'Replace card' }).click();
    await saveCardOnStripe(page, 'pm_card_mastercard');
    await page.waitForURL(`${s.apiUrl}/account?card=saved`);
    await eventually(async () => (await buyerRow(aliceId)).card_last4 === '4444', 15_000, 'card replaced');
    await page.reload();
    expect(await page.textContent('#card-summary')).toBe('Mastercard ending in 4444');

    await page.getByLabel(/Most you can spend per day/).fill('20');
    await page.getByRole('button', { name: 'Save limit' }).click();
    await page.waitForURL('**/account?limit=saved');
    expect(await page.getByLabel(/Most you can spend per day/).inputValue()).toBe('20.00');
    expect(Number((await buyerRow(aliceId)).daily_limit_amount)).toBe(2000);
    const intentsBefore = s.stripe.paymentIntents().length;
    const limited = await postAndReply(aliceId);
    expect(limited.reply).toMatch(/limit/i);
    expect((await orderOf(limited.postId)).status).toBe('failed');
    expect(s.stripe.paymentIntents()).toHaveLength(intentsBefore);

    await page.goto(`${s.apiUrl}/account`);
    const pm = (await buyerRow(aliceId)).payment_method_id;
    await page.getByRole('button', { name: /Remove card/ }).click();
    await page.waitForURL('**/account?unlinked=1');
    expect(await page.textContent('#card-summary')).toBe('No card saved.');
    await browser.shot(page, '13-account-unlinked');
    expect((await s.stripe.paymentIntents()).length).toBe(intentsBefore);
    const detached = await fetch(`${s.stripe.url}/v1/payment_methods/${pm}`, { headers: { Authorization: 'Bearer sk_test_stack' } }).then((r) => r.json() as Promise<{ customer: string | null }>);
    expect(detached.customer).toBeNull();
    const again = await postAndReply(aliceId);
    expect(linkIn(again.reply)).toContain('/link/');
    expect((await orderOf(again.postId)).status).toBe('awaiting_signup');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/account?signed_out=1');
    expect(await page.getByRole('button', { name: 'Sign in with X' }).count()).toBe(1);
    expect(alicePost).not.toBe('');
  });
});
