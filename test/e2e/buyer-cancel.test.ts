import Stripe from 'stripe';
import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(120_000);

let s: Stack;
let key: string;
let stripe: Stripe;

beforeAll(async () => {
  s = await startStack();
  await s.start('all');
  key = (await s.createMerchant('Mug Co')).apiKey;
  stripe = new Stripe('sk_test_stack', { host: '127.0.0.1', port: s.stripe.port, protocol: 'http', maxNetworkRetries: 0 });
  // The ingest follows buyers' #cancel (and #confirm) posts to the shop from the start.
  await eventually(() => s.x.rules().some((r) => r.value === '(#cancel OR #confirm) @shop -is:retweet -is:quote' && r.tag === 'hc:cancel'), 15_000, 'the #cancel rule');
});
afterAll(async () => {
  await s?.close();
});

const ruleFor = (tag: string) => eventually(() => s.x.rules().some((r) => r.value.toLowerCase().includes(tag.toLowerCase())), 15_000, `a rule for ${tag}`);
const replyTo = (tweetId: string, phrase: string) =>
  eventually(() => s.repliesTo(tweetId).find((r) => r.text.includes(phrase)), 20_000, `a reply to ${tweetId} containing "${phrase}"`);
const orderOf = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];
const outcome = async (tweetId: string) => (await s.db.query('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [tweetId])).rows[0];
const refundsAtStripe = async (paymentIntent: string) => (await stripe.refunds.list({ payment_intent: paymentIntent })).data;
const remaining = async (productId: string) => (await s.api<{ inventory_remaining: number }>('GET', `/v1/products/${productId}`, key)).body.inventory_remaining;

/** A buyer posts, is charged and gets the receipt: the post, the receipt (as X shows it) and the order. */
async function bought(buyer: { id: string }, hashtag: string) {
  const post = s.post({ author_id: buyer.id, text: `@shop #${hashtag}` });
  const receipt = await replyTo(post.id, 'Paid');
  return { post, receipt, order: await orderOf(post.id) };
}

describe('a buyer cancels with #cancel (real processes, X and Stripe emulators)', () => {
  it('#cancel in reply to the receipt, inside the window: a full refund at Stripe, the unit back, a reply', async () => {
    const p = await s.createProduct(key, { name: 'Blue Mug', hashtag: 'BuyCancelMug', unit_amount: 1800, currency: 'usd', inventory: 5 });
    expect(p).toMatchObject({ cancel_window_minutes: 15 });
    await ruleFor('#BuyCancelMug');
    const alice = await s.buyer('alice');
    const { receipt, order } = await bought(alice, 'BuyCancelMug');
    expect(await remaining(p.id)).toBe(4);

    // On X a reply to the shop's post carries the @shop mention in its text.
    const cancel = s.post({ author_id: alice.id, text: '@shop #cancel changed my mind', in_reply_to_tweet_id: receipt.id });
    const answer = await replyTo(cancel.id, 'Canceled');
    expect(answer.text).toBe(`Canceled: order ${order.id} for Blue Mug. $18.00 is on its way back to your card.`);
    const refunds = await refundsAtStripe(order.payment_intent_id);
    expect(refunds.map((r) => [r.status, r.amount])).toEqual([['succeeded', 1800]]);
    const view = await s.api('GET', `/v1/orders/${order.id}`, key);
    expect(view.body).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
    expect(await remaining(p.id)).toBe(5);
    const listed = await s.api<{ data: Array<Record<string, unknown>> }>('GET', `/v1/orders/${order.id}/refunds`, key);
    expect(listed.body.data).toEqual([expect.objectContaining({ amount: 1800, restock: true, reason: 'requested_by_customer', status: 'succeeded' })]);
    const events = (await s.db.query(`SELECT type, data FROM order_events WHERE order_id = $1 AND type = 'order.refunded'`, [order.id])).rows;
    expect(events).toEqual([expect.objectContaining({ data: expect.objectContaining({ by: 'buyer' }) })]);
    expect(await outcome(cancel.id)).toEqual({ outcome: 'canceled', reason: 'refund_requested' });
  });

  it('#cancel with the order id in a post of its own cancels that order', async () => {
    const p = await s.createProduct(key, { name: 'Red Mug', hashtag: 'BuyCancelRed', unit_amount: 1500, currency: 'usd', inventory: 2 });
    await ruleFor('#BuyCancelRed');
    const bob = await s.buyer('bob');
    const { order } = await bought(bob, 'BuyCancelRed');
    const cancel = s.post({ author_id: bob.id, text: `@shop #cancel ${order.id}` });
    expect((await replyTo(cancel.id, 'Canceled')).text).toContain(order.id);
    expect((await refundsAtStripe(order.payment_intent_id)).map((r) => r.amount)).toEqual([1500]);
    expect(await remaining(p.id)).toBe(2);
  });

  it('another account\'s #cancel is refused without a word about the order, and nothing is refunded', async () => {
    await s.createProduct(key, { name: 'Green Mug', hashtag: 'BuyCancelGreen', unit_amount: 2000, currency: 'usd' });
    await ruleFor('#BuyCancelGreen');
    const carol = await s.buyer('carol');
    const mallory = await s.buyer('mallory');
    const { receipt, order } = await bought(carol, 'BuyCancelGreen');
    const byReply = s.post({ author_id: mallory.id, text: '@shop #cancel', in_reply_to_tweet_id: receipt.id });
    const byId = s.post({ author_id: mallory.id, text: `@shop #cancel ${order.id}` });
    for (const post of [byReply, byId]) {
      const answer = await replyTo(post.id, 'Only the account');
      expect(answer.text).toBe('Only the account that placed an order can cancel it.');
      expect(await outcome(post.id)).toEqual({ outcome: 'rejected', reason: 'cancel_not_owner' });
    }
    expect(await refundsAtStripe(order.payment_intent_id)).toEqual([]);
    expect((await s.api('GET', `/v1/orders/${order.id}`, key)).body).toMatchObject({ status: 'paid', amount_refunded: 0 });
  });

  it('outside the window (here: a product without one) the buyer is told how to reach the shop, and nothing is refunded', async () => {
    await s.createProduct(key, { name: 'Final Sale Mug', hashtag: 'BuyFinalSale', unit_amount: 900, currency: 'usd', cancel_window_minutes: 0 });
    await ruleFor('#BuyFinalSale');
    const dave = await s.buyer('dave');
    const { receipt, order } = await bought(dave, 'BuyFinalSale');
    const cancel = s.post({ author_id: dave.id, text: '@shop #cancel', in_reply_to_tweet_id: receipt.id });
    const answer = await replyTo(cancel.id, 'can no longer be canceled');
    expect(answer.text).toBe(`Order ${order.id} can no longer be canceled here: the time to cancel has passed or it has shipped. To reach the shop, see your account: ${s.apiUrl}/account`);
    expect(await refundsAtStripe(order.payment_intent_id)).toEqual([]);
    expect((await s.api('GET', `/v1/orders/${order.id}`, key)).body).toMatchObject({ status: 'paid' });
  });

  it('an order not paid yet (waiting for an address, its unit held) is canceled and the unit freed; nothing was charged', async () => {
    const p = await s.createProduct(key, { name: 'Yellow Lamp', hashtag: 'BuyCancelUnpaid', unit_amount: 1200, currency: 'usd', inventory: 1, shipping: 'required' });
    await ruleFor('#BuyCancelUnpaid');
    const erin = await s.buyer('erin');
    const post = s.post({ author_id: erin.id, text: '@shop #BuyCancelUnpaid' });
    const askForAddress = await replyTo(post.id, 'Where should');
    const order = await orderOf(post.id);
    expect(order).toMatchObject({ status: 'awaiting_details', stock_held: true });
    expect(await remaining(p.id)).toBe(0);
    const cancel = s.post({ author_id: erin.id, text: '@shop #cancel', in_reply_to_tweet_id: askForAddress.id });
    expect((await replyTo(cancel.id, 'Canceled')).text).toBe(`Canceled: order ${order.id} for Yellow Lamp. You have not been charged.`);
    expect((await s.api('GET', `/v1/orders/${order.id}`, key)).body).toMatchObject({ status: 'canceled' });
    const events = (await s.db.query(`SELECT data FROM order_events WHERE order_id = $1 AND type = 'order.canceled'`, [order.id])).rows;
    expect(events).toEqual([{ data: { by: 'buyer', post: cancel.id } }]);
    expect(await remaining(p.id)).toBe(1);
    expect(s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === order.id)).toEqual([]);
  });
});
