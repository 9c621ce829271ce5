import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(120_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  s = await startStack();
  await s.start('api');
  await s.start('worker');
  await s.start('ingest');
  key = (await s.createMerchant('Mug Co')).apiKey;
});
afterAll(async () => {
  await s?.close();
});

const orders = async (tweetId: string) =>
  (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows;
const outcome = async (tweetId: string) =>
  (await s.db.query('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [tweetId])).rows[0];
const intentsFor = (orderId: string) => s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === orderId);
/** Rules follow products within seconds: wait until the emulator has one naming the tag. */
const ruleFor = (tag: string) => eventually(() => s.x.rules().some((r) => r.value.toLowerCase().includes(tag.toLowerCase())), 15_000, `a rule for ${tag}`);

describe('purchase pipeline, end to end (api, worker and ingest processes)', () => {
  it('a linked buyer posting gets exactly one charge and one receipt naming the order and product', async () => {
    const p = await s.createProduct(key, { name: 'Blue Mug', hashtag: 'BuyBlueMug', unit_amount: 1800, currency: 'usd', inventory: 10 });
    await ruleFor('#BuyBlueMug');
    const alice = await s.buyer('alice');
    const post = s.post({ author_id: alice.id, text: '@shop #BuyBlueMug please!' });

    const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'receipt reply');
    const [order] = await orders(post.id);
    expect(order).toMatchObject({ status: 'paid', quantity: 1, amount: 1800, product_id: p.id, buyer_x_user_id: alice.id });
    expect(reply!.text).toContain(order.id);
    expect(reply!.text).toContain('Blue Mug');
    expect(reply!.text).not.toMatch(/4242|visa/i);
    const intents = intentsFor(order.id);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ status: 'succeeded', amount: 1800, currency: 'usd' });
    expect(intents[0]!.metadata).toMatchObject({ order_id: order.id, tweet_id: post.id, product_id: p.id });
    await eventually(async () => (await orders(post.id))[0].reply_status === 'posted', 10_000, 'reply_status posted');

    const view = await s.api<Record<string, unknown>>('GET', `/v1/orders/${order.id}`, key);
    expect(view.body).toMatchObject({ status: 'paid', tweet_id: post.id, buyer_x_username: 'alice', reply_status: 'posted', payment_intent: intents[0]!.id });
    const product = await s.api<Record<string, unknown>>('GET', `/v1/products/${p.id}`, key);
    expect(product.body.inventory_remaining).toBe(9);
  });

  it('ignores retweets, quotes, posts without the mention and edits of a handled post, each with its reason', async () => {
    await s.createProduct(key, { name: 'Red Mug', hashtag: 'BuyRedMug', unit_amount: 1500, currency: 'usd' });
    await ruleFor('#BuyRedMug');
    const bob = await s.buyer('bob');
    const original = s.post({ author_id: bob.id, text: '@shop #BuyRedMug' });
    await eventually(async () => (await orders(original.id))[0]?.status === 'paid', 20_000, 'original paid');

    const carol = await s.buyer('carol');
    const rt = s.post({ author_id: carol.id, retweeted_tweet_id: original.id });
    const quote = s.post({ author_id: carol.id, text: '@shop #BuyRedMug look', quoted_tweet_id: original.id });
    const edit = s.post({ author_id: bob.id, text: '@shop #BuyRedMug (edited)', edit_of_tweet_id: original.id });
    const noMention = s.post({ author_id: carol.id, text: '#BuyRedMug' });
    // The stream never delivers retweets or quotes (excluded in the rule); the worker would ignore them too.
    await eventually(async () => (await outcome(edit.id))?.outcome, 15_000, 'edit outcome');
    expect(await outcome(edit.id)).toEqual({ outcome: 'ignored', reason: 'edit_of_handled_post' });
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of [rt, quote, noMention]) expect(await orders(p.id)).toEqual([]);
    expect(intentsFor((await orders(original.id))[0].id)).toHaveLength(1);
  });

  it('a declined card fails the order, gives the stock back and replies with a link to update the card', async () => {
    const p = await s.createProduct(key, { name: 'Green Mug', hashtag: 'BuyGreenMug', unit_amount: 2000, currency: 'usd', inventory: 3 });
    await ruleFor('#BuyGreenMug');
    const dave = await s.buyer('dave', 'pm_card_chargeCustomerFail');
    const post = s.post({ author_id: dave.id, text: '@shop #BuyGreenMug' });
    const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'decline reply');
    expect(reply!.text).toMatch(/declined/i);
    expect(reply!.text).toContain(`${s.apiUrl}/account`);
    const [order] = await orders(post.id);
    expect(order).toMatchObject({ status: 'failed', stock_held: false });
    expect(order.failure_code).toBe('card_declined');
    expect(order.failure_message).toMatch(/declined/);
    expect((await s.api<Record<string, unknown>>('GET', `/v1/products/${p.id}`, key)).body.inventory_remaining).toBe(3);
  });

  it('authentication required → a link to complete the payment; completion by webhook → paid and a receipt', async () => {
    await s.createProduct(key, { name: 'Gold Mug', hashtag: 'BuyGoldMug', unit_amount: 5000, currency: 'usd', inventory: 1 });
    await ruleFor('#BuyGoldMug');
    const erin = await s.buyer('erin', 'pm_card_authenticationRequired');
    const post = s.post({ author_id: erin.id, text: '@shop #BuyGoldMug' });
    const [first] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'action reply');
    expect(first!.text).toMatch(/confirm/i);
    const link = /(http:\/\/\S+\/pay\/\S+)/.exec(first!.text)![1]!;
    const [order] = await orders(post.id);
    expect(order.status).toBe('requires_action');

    // The buyer opens our link: it sends them to the order's Checkout Session.
    const hop = await fetch(link, { redirect: 'manual' });
    expect(hop.status).toBe(303);
    const checkoutUrl = hop.headers.get('location')!;
    expect(checkoutUrl).toContain(s.stripe.url);
    // They confirm with their card on the hosted page.
    const page = await fetch(checkoutUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'payment_method=pm_card_authenticationRequired', redirect: 'manual' });
    expect(page.status).toBe(303);

    await eventually(async () => (await orders(post.id))[0].status === 'paid', 20_000, 'order paid by webhook');
    await eventually(() => s.repliesTo(post.id).some((r) => /^Paid/.test(r.text)), 20_000, 'receipt');
    expect(s.repliesTo(post.id)).toHaveLength(2);
  });

  it('an unknown buyer gets a signup link and an order awaiting signup, with no stock held', async () => {
    const p = await s.createProduct(key, { name: 'Tea Cup', hashtag: 'BuyTeaCup', unit_amount: 900, currency: 'eur', inventory: 5, max_per_order: 3 });
    await ruleFor('#BuyTeaCup');
    const frank = await s.buyer('frank', null);
    const post = s.post({ author_id: frank.id, text: '@shop 2 #BuyTeaCup' });
    const [reply] = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 20_000, 'signup reply');
    expect(reply!.text).toMatch(new RegExp(`${s.apiUrl}/link/tok_\\w+\\.[\\w-]{22}`));
    const [order] = await orders(post.id);
    expect(order).toMatchObject({ status: 'awaiting_signup', stock_held: false, quantity: 2, amount: 1800 });
    expect((await s.api<Record<string, unknown>>('GET', `/v1/products/${p.id}`, key)).body.inventory_remaining).toBe(5);
    const { rows } = await s.db.query('SELECT x_user_id, order_id, expires_at FROM signup_tokens WHERE order_id = $1', [order.id]);
    expect(rows[0].x_user_id).toBe(frank.id);
    const hours = (new Date(rows[0].expires_at).getTime() - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
  });

  it('20 linked buyers racing for 5 units: exactly 5 paid and 15 sold-out replies', async () => {
    const p = await s.createProduct(key, { name: 'Rare Mug', hashtag: 'BuyRareMug', unit_amount: 10000, currency: 'usd', inventory: 5, waitlist: false });
    await ruleFor('#BuyRareMug');
    const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => s.buyer(`racer${i}`)));
    const posts = s.x.injectTweets(buyers.map((b) => ({ author_id: b.id, text: '@shop #BuyRareMug' })));
    await eventually(() => posts.every((post) => s.repliesTo(post.id).length === 1), 40_000, 'a reply to every racer');
    const { rows } = await s.db.query('SELECT status, count(*)::int AS n FROM orders WHERE product_id = $1 GROUP BY status', [p.id]);
    expect(Object.fromEntries(rows.map((r) => [r.status, r.n]))).toEqual({ paid: 5, sold_out: 15 });
    const replies = posts.flatMap((post) => s.repliesTo(post.id).map((r) => r.text));
    expect(replies.filter((t) => /^Paid/.test(t))).toHaveLength(5);
    expect(replies.filter((t) => /sold out/.test(t))).toHaveLength(15);
    const succeeded = s.stripe.paymentIntents().filter((pi) => pi.status === 'succeeded' && (pi.metadata as Record<string, string>).product_id === p.id);
    expect(succeeded).toHaveLength(5);
    expect((await s.api<Record<string, unknown>>('GET', `/v1/products/${p.id}`, key)).body.inventory_remaining).toBe(0);
  });
});
