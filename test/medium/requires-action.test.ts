import Stripe from 'stripe';
import request from 'supertest';
import type { UserView } from '../../emulators/x';
import { startMoneyKit, type MoneyKit } from './kit';

// A bank that wants the buyer (3-D Secure): the order waits in requires_action with a link. Paid
// through it, the order is paid; left too long, it expires and frees its unit; paid after that
// (the buyer kept the page open), the money goes straight back.
let kit: MoneyKit;
let stripe: Stripe;

beforeAll(async () => {
  kit = await startMoneyKit();
  stripe = kit.stripeApi;
}, 60_000);
afterAll(() => kit.close());

const remaining = async (productId: string) => (await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining;

/** A buyer whose bank asks for authentication posts; the order ends in requires_action with one reply. */
async function orderNeedingAction(hashtag: string, username: string): Promise<{ buyer: UserView; postId: string; orderId: string; link: string }> {
  const buyer = await kit.buyer(username, 'pm_card_authenticationRequired');
  const postId = await kit.post(buyer, `@shop #${hashtag}`);
  await kit.settle();
  const [order] = await kit.ordersOfPost(postId);
  expect(order).toMatchObject({ status: 'requires_action' });
  const replies = kit.repliesOn(postId);
  expect(replies).toHaveLength(1);
  expect(replies[0]!.text).toContain(`order ${order!.id}. Confirm within 24 h`);
  return { buyer, postId, orderId: order!.id as string, link: /(https?:\/\/\S+\/pay\/\S+)/.exec(replies[0]!.text)![1]! };
}

/** The buyer opens the link: our short link sends them on to the order's Checkout page. */
async function buyerOpens(link: string): Promise<string> {
  const hop = await request(kit.app).get(new URL(link).pathname).expect(303);
  return hop.headers.location!;
}

/** On the Checkout page they confirm with their card. */
async function buyerConfirms(checkoutUrl: string): Promise<void> {
  const page = await fetch(checkoutUrl, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'payment_method=pm_card_authenticationRequired', redirect: 'manual',
  });
  expect(page.status).toBe(303);
}

/** Time passes beyond the order's deadline to authenticate; the maintenance sweep runs. */
async function deadlinePasses(orderId: string): Promise<void> {
  await kit.rt.db.query(`UPDATE orders SET action_expires_at = now() - interval '1 minute' WHERE id = $1`, [orderId]);
  await kit.sweepAfterDelay();
}

describe('requires_action', () => {
  it('then paid: the buyer confirms through the link; the order is paid once, with one receipt', async () => {
    const productId = await kit.product('BuyBankMug', { inventory: 3 });
    const { postId, orderId, link } = await orderNeedingAction('BuyBankMug', 'bank_paid');
    expect(await remaining(productId)).toBe(2); // the unit is held while the buyer confirms

    await buyerConfirms(await buyerOpens(link));
    await kit.settle();

    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'paid', amount: 1800 });
    const replies = kit.repliesOn(postId);
    expect(replies).toHaveLength(2);
    expect(replies.filter((r) => r.text.startsWith('Paid'))).toHaveLength(1);
    expect(replies.find((r) => r.text.startsWith('Paid'))!.text).toMatch(new RegExp(`^Paid: Mug \\(\\$18\\.00\\)\\. Order ${orderId}\\.`));
    expect(await remaining(productId)).toBe(2);
    const intents = await stripe.paymentIntents.list({ limit: 100 });
    expect(intents.data.filter((pi) => pi.metadata.order_id === orderId && pi.status === 'succeeded')).toHaveLength(1);
  });

  it('then expired: past its deadline the sweep expires it and frees its unit for the next buyer', async () => {
    const productId = await kit.product('BuyLastLamp', { inventory: 1, waitlist: false });
    const { postId, orderId } = await orderNeedingAction('BuyLastLamp', 'bank_slow');
    // The one unit is held: another buyer is told it is sold out.
    const other = await kit.buyer('lamp_rival');
    const early = await kit.post(other, '@shop #BuyLastLamp');
    await kit.settle();
    expect(await kit.ordersOfPost(early)).toMatchObject([{ status: 'sold_out' }]);

    await deadlinePasses(orderId);
    await kit.settle();

    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'expired' });
    expect(await remaining(productId)).toBe(1);
    expect(kit.repliesOn(postId)).toHaveLength(1); // nothing more is posted to the buyer who never confirmed
    const again = await kit.post(other, '@shop #BuyLastLamp again');
    await kit.settle();
    expect(await kit.ordersOfPost(again)).toMatchObject([{ status: 'paid' }]);
    expect(await remaining(productId)).toBe(0);
  });

  it('late payment: paid after the order expired, the buyer is refunded in full and the order stays expired', async () => {
    const productId = await kit.product('BuyLateLamp', { inventory: 2 });
    const { postId, orderId, link } = await orderNeedingAction('BuyLateLamp', 'bank_late');
    const checkoutUrl = await buyerOpens(link);
    await deadlinePasses(orderId);
    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'expired' });
    expect(await remaining(productId)).toBe(2);
    // Our link now says the order is over…
    await request(kit.app).get(new URL(link).pathname).expect(410);

    // …but the buyer had the Checkout page open, and confirms now.
    await buyerConfirms(checkoutUrl);
    await kit.settle();

    expect(await kit.get(`/v1/orders/${orderId}`)).toMatchObject({ status: 'expired', amount_refunded: 0 });
    expect(await remaining(productId)).toBe(2); // no unit sold for money that went back
    const paid = (await stripe.paymentIntents.list({ limit: 100 })).data.filter((pi) => pi.metadata.order_id === orderId && pi.status === 'succeeded');
    expect(paid).toHaveLength(1);
    const refunds = await stripe.refunds.list({ payment_intent: paid[0]!.id });
    expect(refunds.data.map((r) => ({ amount: r.amount, status: r.status }))).toEqual([{ amount: 1800, status: 'succeeded' }]);
    // No receipt for an order that did not happen.
    expect(kit.repliesOn(postId).filter((r) => r.text.startsWith('Paid'))).toEqual([]);

    // Stripe delivering the payment again (a retry) refunds nothing twice.
    const events = await stripe.events.list({ type: 'payment_intent.succeeded', limit: 100 });
    const succeeded = events.data.find((e) => (e.data.object as { id: string }).id === paid[0]!.id)!;
    await kit.rt.db.query('UPDATE stripe_events SET processed_at = NULL WHERE id = $1', [succeeded.id]);
    await kit.runJob('stripeEvents', { id: `stripe-${succeeded.id}`, name: succeeded.type, data: { eventId: succeeded.id } });
    await kit.settle();
    expect((await stripe.refunds.list({ payment_intent: paid[0]!.id })).data).toHaveLength(1);
  });
});
