import Stripe from 'stripe';
import { startMoneyKit, type MoneyKit } from './kit';

// Money going back after a purchase made through the whole pipeline: a merchant's refund over the
// API is applied once (order, stock, the buyer's reply, the merchant's events), and Stripe's own
// charge.refunded webhook for it, delivered for real, changes nothing more. A refund made in
// Stripe's dashboard reaches the order through that webhook alone.
let kit: MoneyKit;
let stripe: Stripe;

beforeAll(async () => {
  kit = await startMoneyKit();
  stripe = kit.stripeApi;
}, 60_000);
afterAll(() => kit.close());

const remaining = async (productId: string) => (await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining;
const eventsOf = async (orderId: string) =>
  (await kit.get<{ data: Array<{ type: string; data: { object: { id: string } } }> }>('/v1/events?limit=100')).data
    .filter((e) => e.data.object.id === orderId).map((e) => e.type).sort();
const refundReplies = (postId: string) => kit.repliesOn(postId).filter((r) => r.text.includes('was refunded')).map((r) => r.text).sort();

/** A linked buyer posts and pays: the order is paid through Stripe and its receipt is on X. */
async function purchase(productId: string, hashtag: string, username: string): Promise<{ postId: string; orderId: string; intentId: string }> {
  const buyer = await kit.buyer(username);
  const postId = await kit.post(buyer, `@shop #${hashtag}`);
  await kit.settle();
  const [order] = await kit.ordersOfPost(postId);
  expect(order).toMatchObject({ status: 'paid', product: productId });
  const { rows } = await kit.rt.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM orders WHERE id = $1', [order!.id]);
  return { postId, orderId: order!.id as string, intentId: rows[0]!.payment_intent_id };
}

describe('a refund applied', () => {
  it("the merchant refunds in part with restock, then the rest; Stripe's charge.refunded webhooks change nothing more", async () => {
    const productId = await kit.product('BuyRefundVase', { inventory: 5 });
    const { postId, orderId, intentId } = await purchase(productId, 'BuyRefundVase', 'vase_buyer');
    expect(await remaining(productId)).toBe(4);

    const part = await kit.send('post', `/v1/orders/${orderId}/refunds`, { amount: 500, restock: true });
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ status: 'succeeded', amount: 500 });
    await kit.settle(); // Stripe's webhooks for it land and are applied; the buyer's reply goes out
    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'partially_refunded', amount_refunded: 500 });
    expect(await remaining(productId)).toBe(5);

    const rest = await kit.send('post', `/v1/orders/${orderId}/refunds`, {});
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ status: 'succeeded', amount: 1300 });
    await kit.settle();

    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
    expect(await remaining(productId)).toBe(5); // restocked once, by the refund that asked for it
    expect((await stripe.refunds.list({ payment_intent: intentId })).data.map((r) => r.amount).sort()).toEqual([1300, 500]);
    expect(refundReplies(postId)).toEqual([
      `Order ${orderId} for Mug was refunded ($13.00).`,
      `Order ${orderId} for Mug was refunded ($5.00).`,
    ]);
    expect(await eventsOf(orderId)).toEqual(['order.created', 'order.paid', 'order.partially_refunded', 'order.refunded']);

    // Stripe applied every charge.refunded it sent: they were seen, and were no-ops.
    const { rows } = await kit.rt.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stripe_events WHERE type = 'charge.refunded' AND processed_at IS NOT NULL AND payload->'object'->>'payment_intent' = $1`,
      [intentId],
    );
    expect(rows[0]!.n).toBe(2);
  });

  it("a refund made in Stripe's dashboard reaches the order through charge.refunded, once", async () => {
    const productId = await kit.product('BuyDashVase', { inventory: 5 });
    const { postId, orderId, intentId } = await purchase(productId, 'BuyDashVase', 'dash_buyer');

    await stripe.refunds.create({ payment_intent: intentId, amount: 800 });
    await kit.settle();
    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'partially_refunded', amount_refunded: 800 });

    await stripe.refunds.create({ payment_intent: intentId });
    await kit.settle();
    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
    expect(await eventsOf(orderId)).toEqual(['order.created', 'order.paid', 'order.partially_refunded', 'order.refunded']);
    // Nothing more to refund: the merchant API says so.
    expect((await kit.send('post', `/v1/orders/${orderId}/refunds`, {})).status).toBe(409);
    expect(kit.repliesOn(postId).filter((r) => r.text.startsWith('Paid'))).toHaveLength(1);
  });
});
