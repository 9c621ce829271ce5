import request from 'supertest';
import type { UserView } from '../../emulators/x';
import { enqueueFollowups } from '../../src/queue/followups';
import { startMoneyKit, type MoneyKit } from './kit';

// The flash-sale waitlist through the whole service in this process: real PostgreSQL and Redis,
// the Stripe and X emulators through the real SDKs, the real processors. A freed unit goes to the
// earliest waitlisted post, whatever freed it, and the buyer hears about it on X.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

type Order = { id: string; status: string; tweet_id: string };
const orderOf = async (postId: string) => (await kit.ordersOfPost(postId))[0] as unknown as Order;
const statusOf = async (postId: string) => (await orderOf(postId)).status;
const product = (id: string) => kit.get<{ inventory_remaining: number; waitlist_length: number }>(`/v1/products/${id}`);
/** The shop's replies to a post, oldest first. */
const texts = (postId: string) => [...kit.repliesOn(postId)].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).map((r) => r.text);

let n = 0;
const authorOf = new Map<string, UserView>();
/** A buyer with a card (visa unless told), or without one (null). */
async function buyer(card: string | null = 'pm_card_visa'): Promise<UserView> {
  const name = `wl_buyer_${++n}`;
  return card ? kit.buyer(name, card) : kit.x.createUser({ username: name });
}
/** A purchase post by a new buyer, matched before anything else happens; its author is remembered. */
async function buyerPosts(text: string, card: string | null = 'pm_card_visa'): Promise<string> {
  const author = await buyer(card);
  const postId = await kit.post(author, text);
  await kit.settle();
  authorOf.set(postId, author);
  return postId;
}

describe('a flash sale with a waitlist', () => {
  it('40 posts for 5 units: declines free units, promoted in post order; everyone is told', async () => {
    const productId = await kit.product('BuyFlashMug', { inventory: 5 });
    // Posts 2 and 4 have cards that decline; post 7 has no card yet; the rest pay.
    const cards = Array.from({ length: 40 }, (_, i) => (i === 1 || i === 3 ? 'pm_card_chargeCustomerFail' : i === 6 ? null : 'pm_card_visa'));
    const buyers: UserView[] = [];
    for (const c of cards) buyers.push(await buyer(c));
    const posts = await kit.postAll(buyers, '@shop #BuyFlashMug');
    await kit.settle();

    const statuses = await Promise.all(posts.map(statusOf));
    // Posts 1, 3, 5 paid; 2 and 4 declined and their units went to posts 6 and 7 (7 has no card:
    // it holds the unit and got a signup link); everyone after waits in post order.
    expect(statuses.slice(0, 8)).toEqual(['paid', 'failed', 'paid', 'failed', 'paid', 'paid', 'awaiting_signup', 'waitlisted']);
    expect(statuses.slice(7).every((s) => s === 'waitlisted')).toBe(true);
    expect(await product(productId)).toMatchObject({ inventory_remaining: 0, waitlist_length: 33 });

    expect(texts(posts[1]!)[0]).toMatch(/declined/);
    // Told both things, in the order the reply priorities spend X's budget (action needed first).
    const both = (postId: string, ...patterns: RegExp[]) => {
      expect(texts(postId)).toHaveLength(patterns.length);
      expect(texts(postId)).toEqual(expect.arrayContaining(patterns.map((p) => expect.stringMatching(p))));
    };
    both(posts[5]!, /number 1 on the waitlist/, /^Paid:/);
    both(posts[6]!, /number 2 on the waitlist/, /freed up and it is held for you.*\/link\//);
    // The waitlisted were told their place when they joined (post 8 joined third: two were promoted since).
    expect(texts(posts[7]!)).toEqual([expect.stringMatching(/number 3 on the waitlist/)]);
    expect(texts(posts[39]!)).toEqual([expect.stringMatching(/number 35 on the waitlist/)]);

    // The merchant sees the line: the waitlisted filter (in post order, newest first) and the events.
    const waitlisted = await kit.get<{ data: Order[] }>(`/v1/orders?status=waitlisted&limit=100`);
    expect(waitlisted.data.map((o) => o.tweet_id).sort()).toEqual(posts.slice(7).sort());
    const promotedEvents = await kit.get<{ data: Array<{ data: { object: { id: string } } }> }>('/v1/events?type=order.promoted&limit=100');
    expect(promotedEvents.data.map((e) => e.data.object.id).sort()).toEqual([(await orderOf(posts[5]!)).id, (await orderOf(posts[6]!)).id].sort());
    const joined = await kit.get<{ data: unknown[] }>('/v1/events?type=order.waitlisted&limit=100');
    expect(joined.data).toHaveLength(35);

    // The buyer without a card links one: the held unit is charged, nobody else moves.
    const linked = await kit.rt.buyers.linkTestCard(buyers[6]!.id, buyers[6]!.username, 'pm_card_visa');
    await enqueueFollowups(kit.rt.queues, linked.followups);
    await kit.settle();
    expect(await statusOf(posts[6]!)).toBe('paid');
    expect(await product(productId)).toMatchObject({ inventory_remaining: 0, waitlist_length: 33 });
  });
});

describe('each kind of freed unit goes to the first in line', () => {
  /** A product with one unit, paid by one buyer, and three waiting (the second without a card). */
  async function soldOutWithLine(hashtag: string, fields: Record<string, unknown> = {}) {
    const productId = await kit.product(hashtag, { inventory: 1, ...fields });
    const holder = await buyerPosts(`@shop #${hashtag}`);
    const line = [await buyerPosts(`@shop #${hashtag}`), await buyerPosts(`@shop #${hashtag}`, null), await buyerPosts(`@shop #${hashtag}`)];
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['waitlisted', 'waitlisted', 'waitlisted']);
    return { productId, holder, line };
  }

  it('a refund with restock, then the merchant adding inventory', async () => {
    const { productId, holder, line } = await soldOutWithLine('BuyRefundMug');
    const refund = await kit.send('post', `/v1/orders/${(await orderOf(holder)).id}/refunds`, { restock: true });
    expect(refund.status).toBe(201);
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['paid', 'waitlisted', 'waitlisted']);
    expect(texts(line[0]!).at(-1)).toMatch(/^Paid:/);

    const raised = await kit.send('patch', `/v1/products/${productId}`, { inventory: 3 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ waitlist_length: 0, inventory_remaining: 0 });
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['paid', 'awaiting_signup', 'paid']);
  });

  it('a merchant cancel, a #confirm that lapses, a signup link that lapses; then #confirm in time charges', async () => {
    // Every order waits for #confirm (above $0), holding its unit: the shop may cancel the holder's.
    const { holder, line } = await soldOutWithLine('BuyLapseMug', { confirm: 'above_amount', confirm_above_amount: 0 });
    expect(await statusOf(holder)).toBe('awaiting_confirmation');
    expect((await kit.send('post', `/v1/orders/${(await orderOf(holder)).id}/cancel`, {})).status).toBe(200);
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['awaiting_confirmation', 'waitlisted', 'waitlisted']);
    expect(texts(line[0]!).at(-1)).toMatch(/^Reply #confirm within 15 minutes/);

    // Fifteen minutes pass without #confirm: the unit goes to the next, who has no card.
    await kit.rt.db.query(`UPDATE orders SET action_expires_at = now() - interval '1 second' WHERE tweet_id = $1`, [line[0]]);
    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['expired', 'awaiting_signup', 'waitlisted']);
    expect(texts(line[1]!).at(-1)).toMatch(/freed up and it is held for you/);

    // Their signup link lapses too (a promoted buyer's time runs from the promotion, not the post).
    await kit.sweepAfterDelay();
    expect(await statusOf(line[1]!)).toBe('awaiting_signup');
    await kit.rt.db.query(`UPDATE orders SET action_expires_at = now() - interval '1 second' WHERE tweet_id = $1`, [line[1]]);
    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['expired', 'expired', 'awaiting_confirmation']);

    // The last in line answers in time, by replying to the shop's request.
    const ask = [...kit.repliesOn(line[2]!)].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).at(-1)!;
    await kit.post(authorOf.get(line[2]!)!, '@shop #confirm', { in_reply_to_tweet_id: ask.id });
    await kit.settle();
    expect(await statusOf(line[2]!)).toBe('paid');
  });
});

describe('a buyer cancels an unpaid order that holds a unit', () => {
  it('with #cancel: the unit goes to the first in line', async () => {
    await kit.product('BuyMindMug', { inventory: 1, confirm: 'above_amount', confirm_above_amount: 0 });
    const holder = await buyerPosts('@shop #BuyMindMug');
    const next = await buyerPosts('@shop #BuyMindMug');
    expect([await statusOf(holder), await statusOf(next)]).toEqual(['awaiting_confirmation', 'waitlisted']);
    await kit.post(authorOf.get(holder)!, `@shop #cancel ${(await orderOf(holder)).id}`);
    await kit.settle();
    expect([await statusOf(holder), await statusOf(next)]).toEqual(['canceled', 'awaiting_confirmation']);
  });
});

describe('units freed at the same moment', () => {
  it('three cancels in parallel transactions promote the first three in line, each exactly once', async () => {
    const productId = await kit.product('BuyRushMug', { inventory: 3, confirm: 'above_amount', confirm_above_amount: 0 });
    const holders = [];
    for (let i = 0; i < 3; i++) holders.push(await buyerPosts('@shop #BuyRushMug'));
    const line = [];
    for (let i = 0; i < 4; i++) line.push(await buyerPosts('@shop #BuyRushMug'));
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['waitlisted', 'waitlisted', 'waitlisted', 'waitlisted']);

    // Hold the product row so that the three cancels are all in flight, queued on it, at once.
    const gate = await kit.rt.db.connect();
    await gate.query('BEGIN');
    await gate.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [productId]);
    const ids = await Promise.all(holders.map(async (p) => (await orderOf(p)).id));
    const cancels = ids.map((id) => kit.send('post', `/v1/orders/${id}/cancel`, {}).then((r) => r.status));
    const waiting = async () => (await kit.rt.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n as number;
    for (let tries = 0; (await waiting()) < 3 && tries < 300; tries++) await new Promise((r) => setTimeout(r, 50));
    expect(await waiting()).toBe(3);
    await gate.query('COMMIT');
    gate.release();
    expect(await Promise.all(cancels)).toEqual([200, 200, 200]);
    await kit.settle();

    expect(await Promise.all(line.map(statusOf))).toEqual(['awaiting_confirmation', 'awaiting_confirmation', 'awaiting_confirmation', 'waitlisted']);
    const promotions = (await kit.rt.db.query(
      `SELECT o.tweet_id, count(*)::int AS n FROM order_events e JOIN orders o ON o.id = e.order_id
       WHERE e.type = 'order.promoted' AND o.product_id = $1 GROUP BY o.tweet_id ORDER BY o.tweet_id::numeric`, [productId])).rows;
    expect(promotions).toEqual(line.slice(0, 3).map((tweet_id) => ({ tweet_id, n: 1 })));
    const stock = (await kit.rt.db.query('SELECT reserved, sold FROM products WHERE id = $1', [productId])).rows[0];
    expect(stock).toEqual({ reserved: 3, sold: 0 });
    expect(await product(productId)).toMatchObject({ inventory_remaining: 0, waitlist_length: 1 });
  });
});

describe('when the sale ends', () => {
  it('what still waits ends sold out, and is told', async () => {
    const { productId, line } = await soldOutWithLineFor('BuyEndMug');
    expect((await kit.send('patch', `/v1/products/${productId}`, { ends_at: new Date(Date.now() - 1000).toISOString() })).status).toBe(200);
    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await Promise.all(line.map(statusOf))).toEqual(['sold_out', 'sold_out']);
    expect(texts(line[1]!).at(-1)).toMatch(/sold out\. You have not been charged/);
    expect(await product(productId)).toMatchObject({ waitlist_length: 0 });
    // The public sale page says so; a link to no product is a page, not an error.
    const page = await request(kit.app).get(`/products/${productId}`).expect(200);
    expect(page.text).toContain('This sale has ended.');
    expect((await request(kit.app).get('/products/prod_nope').expect(404)).text).toContain('No such sale');
    expect((await request(kit.app).get('/products/%27%3Cscript%3E').expect(404)).headers['content-type']).toMatch(/text\/html/);
  });
});

async function soldOutWithLineFor(hashtag: string) {
  const productId = await kit.product(hashtag, { inventory: 1 });
  await buyerPosts(`@shop #${hashtag}`);
  const line = [await buyerPosts(`@shop #${hashtag}`), await buyerPosts(`@shop #${hashtag}`, null)];
  await kit.settle();
  return { productId, line };
}
