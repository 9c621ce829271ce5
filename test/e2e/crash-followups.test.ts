import Stripe from 'stripe';
import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(120_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  // A stalled job is run again after 3 s; the maintenance sweep never runs here, so nothing below
  // is healed by it.
  s = await startStack({ env: { JOB_LOCK_MS: '3000', MAINTENANCE_INTERVAL_MS: '3600000' } });
  await s.start('api');
  await s.start('ingest');
  key = (await s.createMerchant('Crash Mugs')).apiKey;
});
afterAll(async () => {
  await s?.close();
});

const orderFor = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];

describe('a worker killed between committing a payment and enqueuing its receipt', () => {
  it('the retried charge job hands back the pending receipt: the buyer gets it within seconds, once', async () => {
    await s.createProduct(key, { name: 'Gap Mug', hashtag: 'BuyGapMug', unit_amount: 1500, currency: 'usd', inventory: 3 });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyGapMug')), 15_000, 'a rule for the tag');
    const buyer = await s.buyer('gappy');
    const doomed = await s.start('worker', 'doomed', { HC_FAILPOINTS: 'before_charge_followups' });
    const post = s.post({ author_id: buyer.id, text: '@shop #BuyGapMug' });

    await doomed.exited();
    s.procs.delete('doomed');
    const paid = await orderFor(post.id);
    expect(paid.status).toBe('paid');
    expect(s.repliesTo(post.id)).toHaveLength(0);

    const restarted = Date.now();
    await s.start('worker');
    await eventually(() => s.repliesTo(post.id).length === 1, 30_000, 'the receipt reply');
    expect(Date.now() - restarted).toBeLessThan(30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.repliesTo(post.id)).toHaveLength(1);
    expect(s.repliesTo(post.id)[0]!.text).toContain(paid.id);
    const intents = s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === paid.id);
    expect(intents.filter((pi) => pi.status === 'succeeded')).toHaveLength(1);
  });

  it('an api killed between storing a Stripe event and queuing it: the retry of that event gets it applied', async () => {
    await s.createProduct(key, { name: 'Lost Event Mug', hashtag: 'BuyLostEventMug', unit_amount: 1700, currency: 'usd' });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyLostEventMug')), 15_000, 'a rule for the tag');
    // A bank that wants the buyer: the payment they make through Checkout is applied by its
    // event's job (a payment reported while our own charge call is in flight needs none).
    const buyer = await s.buyer('lostevent', 'pm_card_authenticationRequired');
    const post = s.post({ author_id: buyer.id, text: '@shop #BuyLostEventMug' });
    await eventually(() => s.repliesTo(post.id).length === 1, 30_000, 'the reply with the link to confirm');
    const link = /(https?:\/\/\S+\/pay\/\S+)/.exec(s.repliesTo(post.id)[0]!.text)![1]!;
    const checkoutUrl = (await fetch(link, { redirect: 'manual' })).headers.get('location')!;
    await s.stop('api');
    // The api dies once it has stored the first webhook that follows the buyer's payment.
    const api = await s.start('api', 'doomed-api', { HC_FAILPOINTS: 'after_stripe_event_stored' });
    const page = await fetch(checkoutUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'payment_method=pm_card_authenticationRequired', redirect: 'manual',
    });
    expect(page.status).toBe(303);
    await api.exited();
    s.procs.delete('doomed-api');
    const order = await orderFor(post.id);
    expect(order.status).toBe('requires_action');
    const { rows } = await s.db.query(`SELECT id, type, payload, processed_at FROM stripe_events WHERE payload->'object'->'metadata'->>'order_id' = $1`, [order.id]);
    // The session's event, the intent's, or both (they arrive together): stored, none queued.
    expect(rows.length).toBeGreaterThan(0);
    for (const stored of rows) expect(stored).toMatchObject({ processed_at: null });

    // The api comes back and Stripe retries.
    await s.start('api');
    for (const stored of rows) {
      const payload = JSON.stringify({ id: stored.id, object: 'event', type: stored.type, created: stored.payload.created, data: { object: stored.payload.object } });
      const retry = await fetch(`${s.apiUrl}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: s.env.STRIPE_WEBHOOK_SECRET! }) },
        body: payload,
      });
      expect(retry.status).toBe(200);
      await eventually(async () => (await s.db.query('SELECT processed_at FROM stripe_events WHERE id = $1', [stored.id])).rows[0].processed_at, 20_000, 'the event applied');
    }
    await eventually(async () => (await orderFor(post.id)).status === 'paid', 20_000, 'order paid');
    await eventually(() => s.repliesTo(post.id).length === 2, 15_000, 'the receipt');
    const intents = s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === order.id);
    expect(intents.filter((pi) => pi.status === 'succeeded')).toHaveLength(1);
  });
});
