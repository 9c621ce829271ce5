import Stripe from 'stripe';
import request from 'supertest';
import type { Job } from 'bullmq';
import type { UserView } from '../../emulators/x';
import { PaymentsUnavailableError, type PaymentsPort } from '../../src/payments/payments.port';
import { startMoneyKit, type MoneyKit } from './kit';

// Stripe reports every payment by webhook too, often while our own off-session call for the same
// order is still waiting for its answer. What the webhook does with that report depends on the
// order: mid-charge, the charge's answer settles it and no job is spent; in every other state the
// job applies it. Each case here is Stripe's real delivery (the emulator's, signed) to the real route.
let kit: MoneyKit;
let stripe: Stripe;

beforeAll(async () => {
  kit = await startMoneyKit();
  stripe = kit.stripeApi;
}, 60_000);
afterAll(() => kit.close());

/** The payment events Stripe sent for an order (its intents' and its Checkout sessions'). */
async function paymentEventsOf(orderId: string): Promise<Stripe.Event[]> {
  const events = await stripe.events.list({ limit: 100 });
  return events.data.filter((e) => ['payment_intent.succeeded', 'checkout.session.completed'].includes(e.type)
    && (e.data.object as { metadata?: Record<string, string> }).metadata?.order_id === orderId);
}

/** What we kept of an event, and whether a job waits to apply it. */
async function handling(eventId: string) {
  const { rows: [row] } = await kit.rt.db.query<{ processed_at: Date | null; processed_by: string | null }>(
    'SELECT processed_at, processed_by FROM stripe_events WHERE id = $1', [eventId]);
  const job = await kit.rt.queues.stripeEvents.getJob(`stripe-${eventId}`);
  return { stored: row ? { applied: row.processed_at !== null, by: row.processed_by } : null, job: job !== undefined };
}

/** Stripe delivers an event (again): the emulator's copy of it, signed as Stripe signs. */
async function deliver(event: Stripe.Event): Promise<void> {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: kit.rt.config.STRIPE_WEBHOOK_SECRET! });
  await request(kit.app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload).expect(200);
}

/**
 * The charge's Stripe call as the test wants it: the real call, then (the order still `charging`)
 * every webhook Stripe sent for it is delivered before the answer comes back, or the answer is lost.
 */
function answerAfterWebhooks(then: 'answer' | 'lose answer'): () => void {
  const port = kit.rt.payments as { chargeOrder: PaymentsPort['chargeOrder'] };
  const real = port.chargeOrder;
  port.chargeOrder = async (req) => {
    const result = await real.call(kit.rt.payments, req);
    await kit.stripe.webhooksIdle();
    if (then === 'lose answer') throw new PaymentsUnavailableError('Stripe call failed: timeout');
    return result;
  };
  return () => { port.chargeOrder = real; };
}

/** A buyer posts; the order is matched and its charge job waits. */
async function orderAwaitingCharge(hashtag: string, username: string): Promise<{ buyer: UserView; postId: string; orderId: string; chargeJob: Job }> {
  await kit.product(hashtag, { inventory: 3 });
  const buyer = await kit.buyer(username);
  const postId = await kit.post(buyer, `@shop #${hashtag}`);
  await kit.runQueue('tweets');
  const [order] = await kit.ordersOfPost(postId);
  expect(order).toMatchObject({ status: 'reserved' });
  const [chargeJob] = await kit.rt.queues.charges.getJobs(['waiting']);
  return { buyer, postId, orderId: order!.id as string, chargeJob: chargeJob! };
}

const statusOf = async (orderId: string) => (await kit.get<{ status: string }>(`/v1/orders/${orderId}`)).status;
const succeededIntents = (orderId: string) => kit.stripe.paymentIntents().filter((pi) => pi.metadata?.order_id === orderId && pi.status === 'succeeded');
const receiptsOn = (postId: string) => kit.repliesOn(postId).filter((r) => r.text.startsWith('Paid'));

describe('a payment Stripe reports while our charge call for the order is in flight', () => {
  it('is stored as dealt with by the charge and costs no job; the answer settles the order', async () => {
    const { postId, orderId, chargeJob } = await orderAwaitingCharge('BuyFlightMug', 'flight_buyer');
    const restore = answerAfterWebhooks('answer');
    try {
      await kit.runJob('charges', chargeJob);
    } finally {
      restore();
    }
    await chargeJob.remove();
    const [event] = await paymentEventsOf(orderId);
    expect(event!.type).toBe('payment_intent.succeeded');
    expect(await handling(event!.id)).toEqual({ stored: { applied: true, by: 'charge_in_flight' }, job: false });
    expect(await statusOf(orderId)).toBe('paid');

    await kit.settle();
    expect(receiptsOn(postId)).toHaveLength(1);
    expect(succeededIntents(orderId)).toHaveLength(1);
    // Stripe delivering it again changes nothing.
    await deliver(event!);
    expect(await handling(event!.id)).toEqual({ stored: { applied: true, by: 'charge_in_flight' }, job: false });
  });

  it('when the answer is lost (a timeout) the retry settles the order: nothing is lost, nobody is charged twice', async () => {
    const { postId, orderId, chargeJob } = await orderAwaitingCharge('BuyTimeoutMug', 'timeout_buyer');
    const restore = answerAfterWebhooks('lose answer');
    try {
      await expect(kit.runJob('charges', chargeJob)).rejects.toThrow(/Stripe unavailable for 1 of 1 orders/);
    } finally {
      restore();
    }
    expect(await statusOf(orderId)).toBe('charging');
    const [event] = await paymentEventsOf(orderId);
    expect(await handling(event!.id)).toEqual({ stored: { applied: true, by: 'charge_in_flight' }, job: false });

    // The job's retry asks again under the same idempotency key; Stripe replays its answer.
    await kit.runJob('charges', chargeJob);
    await chargeJob.remove();
    expect(await statusOf(orderId)).toBe('paid');
    await kit.settle();
    expect(receiptsOn(postId)).toHaveLength(1);
    expect(succeededIntents(orderId)).toHaveLength(1);
    expect((await stripe.refunds.list({ payment_intent: succeededIntents(orderId)[0]!.id })).data).toEqual([]);
  });

  it('when the answer is lost and the worker dies, the sweep re-runs the charge and settles it', async () => {
    const { postId, orderId, chargeJob } = await orderAwaitingCharge('BuySweptMug', 'swept_buyer');
    const restore = answerAfterWebhooks('lose answer');
    try {
      await expect(kit.runJob('charges', chargeJob)).rejects.toThrow(/Stripe unavailable/);
    } finally {
      restore();
    }
    await chargeJob.remove(); // its job is gone with the worker
    expect(await kit.queued()).toMatchObject({ charges: 0, stripeEvents: 0 });

    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await statusOf(orderId)).toBe('paid');
    expect(receiptsOn(postId)).toHaveLength(1);
    expect(succeededIntents(orderId)).toHaveLength(1);
  });

  it('when the retry is refused (the buyer changed card meanwhile), the order fails and the payment goes back', async () => {
    const { buyer, postId, orderId, chargeJob } = await orderAwaitingCharge('BuyRefusedMug', 'refused_buyer');
    const restore = answerAfterWebhooks('lose answer');
    try {
      await expect(kit.runJob('charges', chargeJob)).rejects.toThrow(/Stripe unavailable/);
    } finally {
      restore();
    }
    const [event] = await paymentEventsOf(orderId);
    expect(await handling(event!.id)).toEqual({ stored: { applied: true, by: 'charge_in_flight' }, job: false });
    // Another card: the retry's parameters differ under the same idempotency key, and Stripe refuses it.
    await kit.rt.buyers.linkTestCard(buyer.id, 'refused_buyer', 'pm_card_mastercard');
    await kit.runJob('charges', chargeJob);
    await chargeJob.remove();
    expect(await statusOf(orderId)).toBe('failed');
    // The payment's event is the job's again; the sweep gives it one and it refunds the money.
    expect(await handling(event!.id)).toEqual({ stored: { applied: false, by: null }, job: false });
    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await handling(event!.id)).toMatchObject({ stored: { applied: true, by: null } });
    const [paid] = succeededIntents(orderId);
    const refunds = await stripe.refunds.list({ payment_intent: paid!.id });
    expect(refunds.data.map((r) => ({ amount: r.amount, status: r.status }))).toEqual([{ amount: 1800, status: 'succeeded' }]);
    expect(await statusOf(orderId)).toBe('failed');
    expect(receiptsOn(postId)).toEqual([]);
  });
});

describe('a payment Stripe reports for an order in any other state', () => {
  it('paid already: neither stored nor queued', async () => {
    const { orderId, chargeJob } = await orderAwaitingCharge('BuyPaidMug', 'paid_buyer');
    await kit.runJob('charges', chargeJob);
    await chargeJob.remove();
    await kit.settle();
    expect(await statusOf(orderId)).toBe('paid');
    const [event] = await paymentEventsOf(orderId);
    // Its first delivery arriving only now, after the answer settled the order.
    await kit.rt.db.query('DELETE FROM stripe_events WHERE id = $1', [event!.id]);
    await deliver(event!);
    expect(await handling(event!.id)).toEqual({ stored: null, job: false });
  });

  it('requires_action (paid through Checkout): stored and queued, and the job pays the order', async () => {
    await kit.product('BuyBankVase', { inventory: 3 });
    const buyer = await kit.buyer('bank_buyer', 'pm_card_authenticationRequired');
    const postId = await kit.post(buyer, '@shop #BuyBankVase');
    await kit.settle();
    const [order] = await kit.ordersOfPost(postId);
    expect(order).toMatchObject({ status: 'requires_action' });
    const orderId = order!.id as string;
    const link = /(https?:\/\/\S+\/pay\/\S+)/.exec(kit.repliesOn(postId)[0]!.text)![1]!;
    const checkout = (await request(kit.app).get(new URL(link).pathname).expect(303)).headers.location!;
    await fetch(checkout, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'payment_method=pm_card_authenticationRequired', redirect: 'manual' });
    await kit.stripe.webhooksIdle();

    const events = await paymentEventsOf(orderId);
    expect(events.map((e) => e.type).sort()).toEqual(['checkout.session.completed', 'payment_intent.succeeded']);
    for (const e of events) expect(await handling(e.id)).toEqual({ stored: { applied: false, by: null }, job: true });
    await kit.settle();
    expect(await statusOf(orderId)).toBe('paid');
    expect(receiptsOn(postId)).toHaveLength(1);
  });

  it('expired (a late payment): stored and queued, and the job refunds it', async () => {
    await kit.product('BuyLateVase', { inventory: 3 });
    const buyer = await kit.buyer('late_buyer', 'pm_card_authenticationRequired');
    const postId = await kit.post(buyer, '@shop #BuyLateVase');
    await kit.settle();
    const [order] = await kit.ordersOfPost(postId);
    const orderId = order!.id as string;
    const link = /(https?:\/\/\S+\/pay\/\S+)/.exec(kit.repliesOn(postId)[0]!.text)![1]!;
    const checkout = (await request(kit.app).get(new URL(link).pathname).expect(303)).headers.location!;
    await kit.rt.db.query(`UPDATE orders SET action_expires_at = now() - interval '1 minute' WHERE id = $1`, [orderId]);
    await kit.sweepAfterDelay();
    expect(await statusOf(orderId)).toBe('expired');
    await fetch(checkout, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'payment_method=pm_card_authenticationRequired', redirect: 'manual' });
    await kit.stripe.webhooksIdle();

    const [intentEvent] = (await paymentEventsOf(orderId)).filter((e) => e.type === 'payment_intent.succeeded');
    expect(await handling(intentEvent!.id)).toEqual({ stored: { applied: false, by: null }, job: true });
    await kit.settle();
    const [paid] = succeededIntents(orderId);
    expect((await stripe.refunds.list({ payment_intent: paid!.id })).data.map((r) => r.amount)).toEqual([1800]);
    expect(await statusOf(orderId)).toBe('expired');
  });

  it('an order we do not know: stored and queued; its job changes nothing', async () => {
    const customer = await stripe.customers.create({});
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const pi = await stripe.paymentIntents.create({
      amount: 500, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true, off_session: true, metadata: { order_id: 'ord_nobody_knows' },
    });
    await kit.stripe.webhooksIdle();
    const [event] = await paymentEventsOf('ord_nobody_knows');
    expect((event!.data.object as { id: string }).id).toBe(pi.id);
    expect(await handling(event!.id)).toEqual({ stored: { applied: false, by: null }, job: true });
    await kit.settle();
    expect(await handling(event!.id)).toEqual({ stored: { applied: true, by: null }, job: false });
  });
});
