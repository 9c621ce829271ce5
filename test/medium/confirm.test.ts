import request from 'supertest';
import type { UserView } from '../../emulators/x';
import { startMoneyKit, type MoneyKit } from './kit';

// The #confirm step (Amex Sync's): an order that must be confirmed waits 15 minutes with its unit
// held; the same X user id's #confirm charges it, anyone else's changes nothing, and without it
// the order lapses and the unit moves on to the waitlist.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

type Order = { id: string; status: string };
const orderOf = async (postId: string) => (await kit.ordersOfPost(postId))[0] as unknown as Order;
const statusOf = async (postId: string) => (await orderOf(postId)).status;
const sorted = (postId: string) => [...kit.repliesOn(postId)].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
const outcomeOf = async (postId: string) => (await kit.rt.db.query('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [postId])).rows[0];
const remaining = async (productId: string) => (await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining;

let n = 0;
const buyer = (card = 'pm_card_visa') => kit.buyer(`cf_buyer_${++n}`, card);
async function buys(who: UserView, hashtag: string): Promise<string> {
  const postId = await kit.post(who, `@shop #${hashtag}`);
  await kit.settle();
  return postId;
}

describe('product settings', () => {
  it('confirm is never by default; above_amount needs its threshold, and only it; #confirm is reserved', async () => {
    const auth = { Authorization: `Bearer ${kit.merchant.apiKey}` };
    const create = (body: Record<string, unknown>) => request(kit.app).post('/v1/products').set(auth)
      .send({ name: 'Mug', unit_amount: 1800, currency: 'usd', shipping: 'none', ...body });
    const made = await create({ hashtag: 'BuyPlainMug' }).expect(201);
    expect(made.body).toMatchObject({ confirm: 'never', confirm_above_amount: null, waitlist: true, waitlist_limit: null, waitlist_length: 0 });
    for (const bad of [{ confirm: 'above_amount' }, { confirm: 'first_purchase', confirm_above_amount: 100 }, { confirm: 'sometimes' }, { waitlist_limit: 0 }]) {
      const res = await create({ hashtag: 'BuyBadMug', ...bad }).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
    }
    const patched = await request(kit.app).patch(`/v1/products/${made.body.id}`).set(auth).send({ confirm: 'above_amount', confirm_above_amount: 5000 }).expect(200);
    expect(patched.body).toMatchObject({ confirm: 'above_amount', confirm_above_amount: 5000 });
    // Switching away drops the threshold; asking for above_amount without one is refused.
    expect((await request(kit.app).patch(`/v1/products/${made.body.id}`).set(auth).send({ confirm: 'never' }).expect(200)).body.confirm_above_amount).toBeNull();
    expect((await request(kit.app).patch(`/v1/products/${made.body.id}`).set(auth).send({ confirm: 'above_amount' }).expect(400)).body.code).toBe('validation_failed');
    for (const hashtag of ['confirm', 'Confirm', 'cοnfirm' /* Greek ο */]) {
      const res = await create({ hashtag }).expect(400);
      expect(res.body).toMatchObject({ code: 'hashtag_reserved' });
      expect(res.body.detail).toMatch(/#confirm when confirming an order/);
    }
  });
});

describe('an order above the amount waits for #confirm', () => {
  it('another account cannot confirm it; the buyer can, within the window, and is charged once', async () => {
    const productId = await kit.product('BuyDearMug', { unit_amount: 20_000, inventory: 5, confirm: 'above_amount', confirm_above_amount: 10_000 });
    const alice = await buyer();
    const postId = await buys(alice, 'BuyDearMug');
    const order = await orderOf(postId);
    expect(order.status).toBe('awaiting_confirmation');
    expect(await remaining(productId)).toBe(4); // the unit is held
    const ask = sorted(postId);
    expect(ask.map((r) => r.text)).toEqual([`Reply #confirm within 15 minutes to buy Mug ($200.00), order ${order.id}. Your unit is held until then; nothing has been charged yet.`]);

    // Mallory answers the request and names the order: nothing happens, and nobody is told anything.
    const mallory = await buyer();
    const forged = await kit.post(mallory, `@shop #confirm ${order.id}`, { in_reply_to_tweet_id: ask[0]!.id });
    await kit.settle();
    expect(await outcomeOf(forged)).toEqual({ outcome: 'ignored', reason: 'confirm_not_owner' });
    expect(kit.repliesOn(forged)).toEqual([]);
    expect(await statusOf(postId)).toBe('awaiting_confirmation');

    // Alice posts #confirm (not even as a reply): her one waiting order is charged.
    const yes = await kit.post(alice, '@shop #confirm');
    await kit.settle();
    expect(await outcomeOf(yes)).toEqual({ outcome: 'confirmed', reason: null });
    expect(await statusOf(postId)).toBe('paid');
    expect(sorted(postId).map((r) => r.text)[1]).toMatch(/^Paid: Mug \(\$200\.00\)/);
    // A second #confirm changes nothing.
    const again = await kit.post(alice, `@shop #confirm ${order.id}`);
    await kit.settle();
    expect(await outcomeOf(again)).toEqual({ outcome: 'ignored', reason: 'order_not_awaiting_confirmation' });
    expect(await remaining(productId)).toBe(4);

    // Below the amount: charged at once.
    const cheap = await kit.product('BuyCheapMug', { unit_amount: 500, confirm: 'above_amount', confirm_above_amount: 10_000 });
    expect(cheap).toBeTruthy();
    expect(await statusOf(await buys(alice, 'BuyCheapMug'))).toBe('paid');
  });

  it('a #confirm after 15 minutes is too late: the order lapses, the unit goes to the waitlist, the buyer is told', async () => {
    const productId = await kit.product('BuyLateMug', { inventory: 1, confirm: 'above_amount', confirm_above_amount: 0 });
    const bob = await buyer();
    const postId = await buys(bob, 'BuyLateMug');
    const next = await buys(await buyer(), 'BuyLateMug');
    expect(await statusOf(next)).toBe('waitlisted');
    await kit.rt.db.query(`UPDATE orders SET action_expires_at = now() - interval '1 second' WHERE tweet_id = $1`, [postId]);

    const late = await kit.post(bob, '@shop #confirm');
    await kit.settle();
    expect(await outcomeOf(late)).toEqual({ outcome: 'rejected', reason: 'confirm_window_closed' });
    expect(await statusOf(postId)).toBe('expired');
    expect(kit.repliesOn(late).map((r) => r.text)).toEqual([expect.stringMatching(/was not confirmed within 15 minutes, so it lapsed/)]);
    // The next in line holds the unit now, and is asked in turn.
    expect(await statusOf(next)).toBe('awaiting_confirmation');
    expect(await remaining(productId)).toBe(0);
    expect(sorted(next).at(-1)!.text).toMatch(/^Reply #confirm within 15 minutes/);
  });
});

describe('first purchase, and the buyer who always wants to confirm', () => {
  it('a first order from the shop waits; once paid, the next is charged at once', async () => {
    await kit.product('BuyFirstMug', { confirm: 'first_purchase' });
    const carol = await buyer();
    const first = await buys(carol, 'BuyFirstMug');
    expect(await statusOf(first)).toBe('awaiting_confirmation');
    await kit.post(carol, '@shop #confirm');
    await kit.settle();
    expect(await statusOf(first)).toBe('paid');
    expect(await statusOf(await buys(carol, 'BuyFirstMug'))).toBe('paid');
  });

  it('"always ask me to confirm" holds every order for #confirm, whatever the product says', async () => {
    await kit.product('BuyAnyMug');
    const dave = await buyer();
    await kit.rt.db.query('UPDATE buyers SET always_confirm = true WHERE x_user_id = $1', [dave.id]);
    const postId = await buys(dave, 'BuyAnyMug');
    expect(await statusOf(postId)).toBe('awaiting_confirmation');
    // Left alone, the sweep lets it lapse after the window.
    await kit.rt.db.query(`UPDATE orders SET action_expires_at = now() - interval '1 second' WHERE tweet_id = $1`, [postId]);
    await kit.sweepAfterDelay();
    expect(await orderOf(postId)).toMatchObject({ status: 'expired' });
    expect((await kit.rt.db.query('SELECT failure_code FROM orders WHERE tweet_id = $1', [postId])).rows[0].failure_code).toBe('confirmation_not_given');
  });
});
