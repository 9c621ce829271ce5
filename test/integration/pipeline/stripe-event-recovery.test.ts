import Stripe from 'stripe';
import request from 'supertest';
import type { Express } from 'express';
import type { Job } from 'bullmq';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';
import { startMaintenance } from '../../../src/queue/maintenance';
import { repliesJobId } from '../../../src/queue/followups';
import { stripeEventsProcessor } from '../../../workers/stripe-events';

const SECRET = 'whsec_recoverytest0123456789';
const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
let database: TestDatabase;
let rt: Runtime;
let app: Express;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_recovery', STRIPE_WEBHOOK_SECRET: SECRET, ...X_ENV });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) });
  await rt.db.query(`INSERT INTO merchants (id, name) VALUES ('mer_m', 'M')`);
  await rt.db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, max_per_order)
                     VALUES ('prod_p', 'mer_m', 'Lamp', 'BuyLamp', 'buylamp', 1000, 'usd', 5, 1)`);
});
afterAll(async () => {
  for (const q of Object.values(rt.queues)) await q.obliterate({ force: true });
  await rt.close();
  await database.drop();
});

/** A paid order whose receipt is written but was never enqueued (the worker died in between). */
async function paidOrder(n: number): Promise<{ orderId: string; intentId: string; replyId: string }> {
  const ids = { orderId: `ord_${n}`, intentId: `pi_${n}`, replyId: `rep_${n}` };
  await rt.db.query(
    `INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status, payment_intent_id, paid_at, reply_status)
     VALUES ($1, 'mer_m', 'prod_p', $2, '900', 1, 1000, 'usd', 'paid', $3, now(), 'pending')`,
    [ids.orderId, String(1000 + n), ids.intentId],
  );
  await rt.db.query(`INSERT INTO replies (id, in_reply_to_tweet_id, order_id, kind, text) VALUES ($1, $2, $3, 'receipt', 'Paid.')`, [ids.replyId, String(1000 + n), ids.orderId]);
  return ids;
}

const succeeded = (eventId: string, ids: { orderId: string; intentId: string }) => ({
  id: eventId, object: 'event', type: 'payment_intent.succeeded', created: 1_800_000_000,
  data: { object: { id: ids.intentId, object: 'payment_intent', metadata: { order_id: ids.orderId } } },
});

/** What the api stored before it died, without the job it never added. */
async function storeOnly(event: ReturnType<typeof succeeded>, ageSeconds = 0): Promise<void> {
  await rt.db.query(
    `INSERT INTO stripe_events (id, type, payload, received_at) VALUES ($1, $2, $3, clock_timestamp() - make_interval(secs => $4))`,
    [event.id, event.type, { object: event.data.object, created: event.created }, ageSeconds],
  );
}

async function deliver(event: Record<string, unknown>): Promise<void> {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
  await request(app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload).expect(200);
}

const eventJob = (eventId: string) => rt.queues.stripeEvents.getJob(`stripe-${eventId}`);

describe('a Stripe event stored but never applied', () => {
  it("Stripe's retry of it re-arms its job, even when its order is already settled", async () => {
    const ids = await paidOrder(1);
    const event = succeeded('evt_retry_1', ids);
    await storeOnly(event);
    await deliver(event);
    expect(await eventJob(event.id)).toBeDefined();
    // Delivered again while that job waits: still one job.
    await deliver(event);
    expect(await rt.queues.stripeEvents.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('a retry of an event already applied is acknowledged without a job', async () => {
    const ids = await paidOrder(2);
    const event = succeeded('evt_done_2', ids);
    await storeOnly(event);
    await rt.db.query(`UPDATE stripe_events SET processed_at = now() WHERE id = $1`, [event.id]);
    await deliver(event);
    expect(await eventJob(event.id)).toBeUndefined();
  });

  it('the maintenance sweep re-arms an unapplied event that lost its job, not a fresh one', async () => {
    const old = succeeded('evt_lost_3', await paidOrder(3));
    const fresh = succeeded('evt_fresh_4', await paidOrder(4));
    await storeOnly(old, 120);
    await storeOnly(fresh, 0);
    await startMaintenance(rt, 3_600_000).runOnce();
    expect(await eventJob(old.id)).toBeDefined();
    expect(await eventJob(fresh.id)).toBeUndefined();
  });

  it('the sweep replaces a job left in no state (Redis kept its record but lost the list that held it)', async () => {
    const orphan = succeeded('evt_orphan_6', await paidOrder(6));
    await storeOnly(orphan, 120);
    await rt.queues.stripeEvents.add(orphan.type, { eventId: orphan.id }, { jobId: `stripe-${orphan.id}` });
    await rt.redis.lrem(`${rt.config.QUEUE_PREFIX}:stripe-events:wait`, 0, `stripe-${orphan.id}`);
    expect(await (await eventJob(orphan.id))!.getState()).toBe('unknown');
    await rt.redis.del(`${rt.config.QUEUE_PREFIX}:maintenance:lock`); // the sweep above holds it for its interval
    await startMaintenance(rt, 3_600_000).runOnce();
    expect(await (await eventJob(orphan.id))!.getState()).toBe('waiting');
  });

  it('applying an event whose order is already paid hands back the receipt still waiting to be sent', async () => {
    const ids = await paidOrder(5);
    const event = succeeded('evt_applied_5', ids);
    await storeOnly(event);
    const process = stripeEventsProcessor({ db: rt.db, charging: rt.charging, buyers: rt.buyers, payments: rt.payments, queues: rt.queues, log: rt.log });
    await process({ id: 'stripe-evt_applied_5', data: { eventId: event.id } } as Job);
    const receipt = await rt.queues.replies.getJob(repliesJobId([ids.replyId]));
    expect(receipt).toMatchObject({ name: 'batch', data: { replyIds: [ids.replyId] } });
    expect((await rt.db.query('SELECT processed_at FROM stripe_events WHERE id = $1', [event.id])).rows[0].processed_at).not.toBeNull();
  });
});

describe('a Stripe webhook with nothing left to apply', () => {
  /** The statements the api runs for one delivery. */
  async function statementsFor(event: Record<string, unknown>): Promise<number> {
    const query = rt.db.query.bind(rt.db) as (...args: unknown[]) => unknown;
    let n = 0;
    (rt.db as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => (n++, query(...args));
    try {
      await deliver(event);
    } finally {
      delete (rt.db as unknown as { query?: unknown }).query;
    }
    return n;
  }
  const stored = async (eventId: string) => (await rt.db.query('SELECT 1 FROM stripe_events WHERE id = $1', [eventId])).rowCount;

  it('an intent we already settled costs one read: nothing stored, no job', async () => {
    const ids = await paidOrder(7);
    const event = succeeded('evt_settled_7', ids);
    expect(await statementsFor(event)).toBe(1);
    expect(await stored(event.id)).toBe(0);
    expect(await eventJob(event.id)).toBeUndefined();
  });

  it('so does the Checkout Session that paid it (an order that needed the buyer)', async () => {
    const ids = await paidOrder(8);
    const event = {
      id: 'evt_session_8', object: 'event', type: 'checkout.session.completed', created: 1_800_000_000,
      data: { object: { id: 'cs_8', object: 'checkout.session', mode: 'payment', payment_intent: ids.intentId, metadata: { order_id: ids.orderId, purpose: 'order_action' } } },
    };
    expect(await statementsFor(event)).toBe(1);
    expect(await stored(event.id)).toBe(0);
    expect(await eventJob(event.id)).toBeUndefined();
  });

  it('and an event delivered again after it was applied', async () => {
    const ids = await paidOrder(9);
    const event = { ...succeeded('evt_refund_9', ids), type: 'charge.refunded' };
    event.data.object = { ...event.data.object, id: 'ch_9', object: 'charge' };
    await storeOnly(event);
    await rt.db.query(`UPDATE stripe_events SET processed_at = now() WHERE id = $1`, [event.id]);
    expect(await statementsFor(event)).toBe(1);
    expect(await eventJob(event.id)).toBeUndefined();
  });

  it('a payment for an order mid-charge is stored as dealt with by its charge, in one statement and no job', async () => {
    const ids = await paidOrder(10);
    await rt.db.query(`UPDATE orders SET status = 'charging', payment_intent_id = NULL, paid_at = NULL WHERE id = $1`, [ids.orderId]);
    const event = succeeded('evt_open_10', ids);
    expect(await statementsFor(event)).toBe(1);
    const { rows: [row] } = await rt.db.query('SELECT processed_at, processed_by FROM stripe_events WHERE id = $1', [event.id]);
    expect(row).toEqual({ processed_at: expect.any(Date), processed_by: 'charge_in_flight' });
    expect(await eventJob(event.id)).toBeUndefined();
    // Delivered again: applied already, nothing more.
    expect(await statementsFor(event)).toBe(1);
    expect(await eventJob(event.id)).toBeUndefined();
  });

  it('a payment for an order its charge is settling at that moment waits for it: then nothing is stored or queued', async () => {
    const ids = await paidOrder(13);
    await rt.db.query(`UPDATE orders SET status = 'charging', payment_intent_id = NULL, paid_at = NULL WHERE id = $1`, [ids.orderId]);
    const event = succeeded('evt_racing_13', ids);
    // The charge's settling statement holds the order while Stripe's webhook for it arrives.
    const charge = await rt.db.connect();
    const waitingForLock = async () => (await rt.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0]!.n > 0;
    try {
      await charge.query('BEGIN');
      await charge.query(`UPDATE orders SET status = 'paid', payment_intent_id = $2, paid_at = now() WHERE id = $1`, [ids.orderId, ids.intentId]);
      const delivered = deliver(event);
      for (let i = 0; i < 100 && !(await waitingForLock()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await waitingForLock()).toBe(true);
      await charge.query('COMMIT');
      await delivered;
    } finally {
      charge.release();
    }
    expect(await stored(event.id)).toBe(0);
    expect(await eventJob(event.id)).toBeUndefined();
  });

  it('a payment for an order waiting for its buyer (a Checkout payment) is stored and queued', async () => {
    const ids = await paidOrder(12);
    await rt.db.query(`UPDATE orders SET status = 'requires_action', payment_intent_id = NULL, paid_at = NULL WHERE id = $1`, [ids.orderId]);
    const event = succeeded('evt_open_12', ids);
    await deliver(event);
    expect(await stored(event.id)).toBe(1);
    expect(await eventJob(event.id)).toBeDefined();
  });
});

describe('a Stripe event of a type we act on that lacks what we need', () => {
  it('is kept as Stripe sent it, then applied as nothing and not re-armed again', async () => {
    const ids = await paidOrder(11);
    await rt.db.query(`UPDATE orders SET status = 'charging', payment_intent_id = NULL, paid_at = NULL WHERE id = $1`, [ids.orderId]);
    // An intent made outside the service (no order id in its metadata): not ours to mark paid.
    const event = { ...succeeded('evt_foreign_11', ids), account: 'acct_foreign' };
    event.data.object = { ...event.data.object, metadata: {} as { order_id: string } };
    await deliver(event);
    const { rows: [row] } = await rt.db.query('SELECT type, payload, processed_at FROM stripe_events WHERE id = $1', [event.id]);
    expect(row).toEqual({ type: 'payment_intent.succeeded', payload: { object: event.data.object, created: event.created, account: 'acct_foreign' }, processed_at: null });

    const process = stripeEventsProcessor({ db: rt.db, charging: rt.charging, buyers: rt.buyers, payments: rt.payments, queues: rt.queues, log: rt.log });
    await expect(process({ id: `stripe-${event.id}`, data: { eventId: event.id } } as Job)).resolves.toEqual({ type: 'payment_intent.succeeded' });
    expect((await rt.db.query('SELECT processed_at FROM stripe_events WHERE id = $1', [event.id])).rows[0].processed_at).not.toBeNull();
    expect((await rt.db.query('SELECT status, payment_intent_id FROM orders WHERE id = $1', [ids.orderId])).rows[0]).toEqual({ status: 'charging', payment_intent_id: null });
    expect(await rt.queues.replies.getJob(`reply-${ids.orderId}-receipt`)).toBeUndefined();
  });
});
