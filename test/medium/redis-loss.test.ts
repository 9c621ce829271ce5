import Stripe from 'stripe';
import type { UserView } from '../../emulators/x';
import { startMoneyKit, type MoneyKit } from './kit';

// Redis restarts empty while work is in flight at every step of a purchase: a post not yet
// matched, an order not yet charged, a receipt not yet posted, a Stripe event not yet applied.
// The maintenance sweep rebuilds all of it from PostgreSQL, and nothing happens twice.
// (test/integration/pipeline/redis-loss.test.ts covers the same loss with ingest and workers running.)
let kit: MoneyKit;
let stripe: Stripe;

beforeAll(async () => {
  kit = await startMoneyKit();
  stripe = kit.stripeApi;
}, 60_000);
afterAll(() => kit.close());

const intentOf = async (orderId: string) =>
  (await kit.rt.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM orders WHERE id = $1', [orderId])).rows[0]!.payment_intent_id;

describe('the sweep after Redis lost everything', () => {
  it('re-arms posts, charges, replies and Stripe events from PostgreSQL: every purchase completes once', async () => {
    const productId = await kit.product('BuyLossLamp', { inventory: 10 });
    const [refunded, receipted, charged, matched] = await Promise.all(
      ['loss_refund', 'loss_receipt', 'loss_charge', 'loss_match'].map((name) => kit.buyer(name)),
    ) as [UserView, UserView, UserView, UserView];

    // A paid order the merchant refunds in part from Stripe's dashboard: the event is stored, not applied.
    const refundedPost = await kit.post(refunded, '@shop #BuyLossLamp');
    await kit.settle();
    const [refundedOrder] = await kit.ordersOfPost(refundedPost);
    await stripe.refunds.create({ payment_intent: await intentOf(refundedOrder!.id as string), amount: 500 });
    await kit.stripe.webhooksIdle();
    // A paid order whose receipt is queued, not posted.
    const receiptedPost = await kit.post(receipted, '@shop #BuyLossLamp');
    await kit.runQueue('tweets');
    await kit.runQueue('charges');
    // An order reserved, its charge queued, not started.
    const chargedPost = await kit.post(charged, '@shop #BuyLossLamp');
    await kit.runQueue('tweets');
    // A post received (in the inbox), its batch queued, not matched.
    const matchedPost = await kit.post(matched, '@shop #BuyLossLamp');
    const posts = [refundedPost, receiptedPost, chargedPost, matchedPost];

    const before = await kit.queued();
    expect(before.tweets).toBeGreaterThan(0);
    expect(before.charges).toBeGreaterThan(0);
    expect(before.replies).toBeGreaterThan(0);
    expect(before.stripeEvents).toBeGreaterThan(0);
    expect(await kit.loseRedis()).toBeGreaterThan(0);
    expect(await kit.queued()).toEqual({ tweets: 0, charges: 0, replies: 0, stripeEvents: 0 });

    await kit.sweepAfterDelay();
    const rearmed = await kit.queued();
    expect(rearmed.tweets).toBeGreaterThan(0);
    expect(rearmed.charges).toBeGreaterThan(0);
    expect(rearmed.replies).toBeGreaterThan(0);
    expect(rearmed.stripeEvents).toBeGreaterThan(0);
    await kit.settle();

    // What buyers and the merchant see: every post one paid order, one charge and one receipt.
    for (const postId of posts) {
      const orders = await kit.ordersOfPost(postId);
      expect(orders).toHaveLength(1);
      expect(kit.repliesOn(postId).filter((r) => r.text.startsWith('Paid'))).toHaveLength(1);
      const intents = (await stripe.paymentIntents.list({ limit: 100 })).data.filter((pi) => pi.metadata.order_id === orders[0]!.id && pi.status === 'succeeded');
      expect(intents).toHaveLength(1);
    }
    expect(await kit.get(`/v1/orders/${refundedOrder!.id}`)).toMatchObject({ status: 'partially_refunded', amount_refunded: 500 });
    for (const postId of posts.slice(1)) expect(await kit.ordersOfPost(postId)).toMatchObject([{ status: 'paid' }]);
    expect((await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining).toBe(6);

    // The next sweep finds nothing left to do.
    await kit.sweepAfterDelay();
    expect(await kit.queued()).toEqual({ tweets: 0, charges: 0, replies: 0, stripeEvents: 0 });
  });
});
