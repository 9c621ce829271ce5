import { eventually, startStack, type Stack } from '../../support/stack';
import { cookieBrowser, csrfIn } from '../../support/browser';

jest.setTimeout(120_000);

/**
 * Amounts above 2^31 - 1 minor units: an order's total is capped at what Stripe accepts, and a
 * large but valid order reads back whole on every buyer page.
 */
let s: Stack;

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  const { apiKey } = await s.createMerchant('Yacht Co');
  await s.createProduct(apiKey, { name: 'Yacht', hashtag: 'BuyYacht', unit_amount: 99_999_999, currency: 'usd', max_per_order: 1000 });
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyYacht')), 15_000, 'stream rule');
});
afterAll(async () => {
  await s?.close();
});

const browser = () => cookieBrowser(() => s.apiUrl);
const firstReply = (postId: string) => eventually(() => s.repliesTo(postId)[0], 20_000, 'a reply');

describe('large amounts', () => {
  it('refuses an order above what Stripe can charge with a reply, and charges nothing', async () => {
    const u = s.x.createUser({ username: 'bigspender' });
    const post = s.post({ author_id: u.id, text: '@shop #BuyYacht x1000' });
    const reply = await firstReply(post.id);
    expect(reply.text).toMatch(/more than can be charged in one payment \(at most \$999,999\.99\)/);
    expect(reply.text).toMatch(/nothing was charged/i);
    expect(reply.text).not.toContain('/link/');
    const { rows } = await s.db.query('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [post.id]);
    expect(rows[0]).toEqual({ outcome: 'rejected', reason: 'amount_too_large' });
    expect((await s.db.query('SELECT 1 FROM orders WHERE tweet_id = $1', [post.id])).rowCount).toBe(0);
  });

  it('shows an order above 2^31 - 1 cents (one placed before the cap) whole on the link page and the account page', async () => {
    const u = s.x.createUser({ username: 'richbuyer' });
    const post = s.post({ author_id: u.id, text: '@shop #BuyYacht' });
    const reply = await firstReply(post.id);
    expect(reply.text).toContain('$999,999.99');
    const link = new URL(/(http:\/\/\S+\/link\/\S+)/.exec(reply.text)![1]!).pathname;
    // What an order written before the cap looks like: 1000 units, $999,999,990.00.
    await s.db.query('UPDATE orders SET quantity = 1000, amount = 99999999000 WHERE tweet_id = $1', [post.id]);

    const b = browser();
    const page = await b.fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('$999,999,990.00');

    // Sign in with X as that buyer; the account lists the order with its whole price.
    const account = await b.fetch('/account');
    const start = await b.post('/auth/x/start', { _csrf: csrfIn(await account.text()) });
    expect(start.status).toBe(303);
    const consent = await fetch(start.headers.get('location')!, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_id: u.id }).toString(),
    });
    const callback = await b.fetch(consent.headers.get('location')!);
    expect(callback.headers.get('location')).toBe('/account');
    const mine = await b.fetch('/account');
    expect(mine.status).toBe(200);
    const html = await mine.text();
    expect(html).toContain('Yacht');
    expect(html).toContain('$999,999,990.00');
  });
});
