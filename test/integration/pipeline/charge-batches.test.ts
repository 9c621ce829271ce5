import Stripe from 'stripe';
import { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { REDIS_URL, testPrefix } from '../../support/app';
import { createPool, withTransaction, type Db } from '../../../src/db/pool';
import { createLogger } from '../../../src/logger';
import { createLinkSigner } from '../../../src/links/links';
import { newId } from '../../../src/ids';
import { placeOrder } from '../../../src/orders/orders.store';
import { createChargingService } from '../../../src/orders/charging.service';
import { createStripeAdapter } from '../../../src/payments/stripe.adapter';
import type { PaymentsPort } from '../../../src/payments/payments.port';
import { createRateBudget, unpaced, type RateBudget } from '../../../src/payments/rate-budget';
import { closeQueues, createQueues, type Queues } from '../../../src/queue/queues';
import { chargeBatches } from '../../../src/queue/followups';
import { chargeBatchJob, jobOf } from '../../../src/queue/registry';
import { stripeLimiter } from '../../../src/payments/rate-budget';
import { chargesProcessor } from '../../../workers/charges';
import { SETTLE_GROUP_SIZE } from '../../../src/orders/settle-groups';

jest.setTimeout(120_000);

/**
 * Charges move in batches: one job per batch of orders, started and settled in a fixed number of
 * statements, one PaymentIntent per order (its idempotency key from the order), Stripe's rate
 * budget held across processes, and a partial Stripe outage retried only for the orders it hit.
 */
const log = createLogger('silent');
let database: TestDatabase;
let db: Db;
let emu: StripeEmulator;
let stripe: Stripe;
let redis: Redis;
let queues: Queues;
const pools: Db[] = [];
let productSeq = 0;
let tweet = 1_870_000_000_000_000_000n;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 6);
  emu = await startStripeEmulator();
  stripe = new Stripe('sk_test_batches', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues({ host: '127.0.0.1', port: 6379 }, testPrefix());
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_b', 'Batch Co')`);
});
afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
  await closeQueues(queues);
  redis.disconnect();
  await Promise.all([db, ...pools].map((p) => p.end()));
  await emu.close();
  await database.drop();
});

/** The real adapter against the emulator, without the SDK's own retries (an outage reaches us), each charge call seen. */
function payments(calls: Array<{ orderId: string; at: number }> = []): PaymentsPort {
  const adapter = createStripeAdapter({ secretKey: 'sk_test_batches', webhookSecret: () => undefined, apiBase: emu.url, maxNetworkRetries: 0 });
  return { ...adapter, chargeOrder: (req) => (calls.push({ orderId: req.orderId, at: Date.now() }), adapter.chargeOrder(req)) };
}

function processor(pool: Db, port: PaymentsPort, budget: RateBudget = unpaced) {
  const charging = createChargingService({ db: pool, payments: port, signer: createLinkSigner('charge-batches-secret-0123456789abcdef'), publicBaseUrl: 'https://shop.test', log });
  return chargesProcessor({ charging, queues, log, budget });
}

/** `n` reserved orders of one product, each by its own buyer with a saved card in Stripe. */
async function reservedOrders(n: number): Promise<{ productId: string; orderIds: string[] }> {
  const productId = `prod_batch${++productSeq}`;
  await db.query(
    `INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, max_per_order)
     VALUES ($1, 'mer_b', 'Mug', $2, lower($2), 1800, 'usd', $3, 5)`,
    [productId, `BuyBatch${productSeq}`, n + 5],
  );
  const orderIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const customer = await stripe.customers.create({});
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const xUserId = String(500_000 + productSeq * 1000 + i);
    const buyerId = newId('buy');
    await db.query('INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id) VALUES ($1, $2, $3, $4)', [buyerId, xUserId, customer.id, pm.id]);
    const tweetId = String(++tweet);
    const order = await withTransaction(db, (tx) => placeOrder(tx, {
      id: newId('ord'), merchantId: 'mer_b', productId, tweetId, chainId: tweetId, buyerXUserId: xUserId, buyerXUsername: null, buyerId,
      quantity: 1, amount: 1800, currency: 'usd',
    }, { id: newId('rep'), text: 'sold out' }));
    expect(order!.status).toBe('reserved');
    orderIds.push(order!.id);
  }
  return { productId, orderIds };
}

const jobFor = (orderIds: string[]) => {
  const batch = jobOf(chargeBatchJob, chargeBatches(orderIds, 500)[0]!);
  return { id: batch.opts.jobId, name: batch.name, data: batch.data, attemptsMade: 0 } as unknown as Job;
};

/** What the buyer, the merchant and Stripe show for these orders. */
async function seen(productId: string, orderIds: string[]) {
  const statuses = (await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM orders WHERE id = ANY($1) GROUP BY status ORDER BY status', [orderIds])).rows;
  const receipts = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM replies WHERE order_id = ANY($1) AND kind = 'receipt'`, [orderIds])).rows[0]!.n;
  const otherReplies = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM replies WHERE order_id = ANY($1) AND kind <> 'receipt'`, [orderIds])).rows[0]!.n;
  const paidEvents = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_events WHERE order_id = ANY($1) AND type = 'order.paid'`, [orderIds])).rows[0]!.n;
  const stock = (await db.query<{ reserved: number; sold: number }>('SELECT reserved, sold FROM products WHERE id = $1', [productId])).rows[0];
  const succeeded = new Map<string, number>();
  for (const pi of emu.paymentIntents()) {
    const orderId = pi.metadata?.order_id;
    if (orderId && orderIds.includes(orderId) && pi.status === 'succeeded') succeeded.set(orderId, (succeeded.get(orderId) ?? 0) + 1);
  }
  return { statuses, receipts, otherReplies, paidEvents, stock, chargedOnce: orderIds.every((id) => succeeded.get(id) === 1), chargedTwice: [...succeeded.values()].filter((n) => n > 1).length };
}

describe('a charges job', () => {
  it('charges a batch of 50 orders with one settling statement per ten answers', async () => {
    const counted = createPool(database.url, 4);
    pools.push(counted);
    let statements = 0;
    counted.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        statements++;
        return query(...args);
      };
    });
    // Stripe's answers all come back together (each call answered, then released at once), so the
    // groups are full: the count does not depend on how fast this machine is today.
    const answered: Array<() => void> = [];
    let expected = 0;
    const real = payments();
    const together: PaymentsPort = {
      ...real,
      chargeOrder: async (req) => {
        const result = await real.chargeOrder(req);
        await new Promise<void>((release) => {
          answered.push(release);
          if (answered.length === expected) answered.splice(0).forEach((r) => r());
        });
        return result;
      },
    };
    const run = processor(counted, together);
    const statementsFor = async (n: number) => {
      const { productId, orderIds } = await reservedOrders(n);
      expected = n;
      statements = 0;
      expect(await run(jobFor(orderIds))).toEqual({ orders: n, unavailable: 0 });
      const used = statements;
      expect(await seen(productId, orderIds)).toEqual({
        statuses: [{ status: 'paid', n }], receipts: n, otherReplies: 0, paidEvents: n, stock: { reserved: 0, sold: n }, chargedOnce: true, chargedTwice: 0,
      });
      return used;
    };
    const ten = await statementsFor(10);
    const fifty = await statementsFor(50);
    // One to start the batch, one per group of ten paid answers.
    expect(ten).toBe(2);
    expect(fifty).toBe(1 + 50 / SETTLE_GROUP_SIZE);
    // Every receipt is on its way to X, in reply batches as the charge batches handed them on.
    const replyJobs = await queues.replies.getJobs(['prioritized', 'waiting']);
    expect(replyJobs.map((j) => j.data.replyIds.length).sort((a, b) => a - b)).toEqual([10, 50]);
    expect(new Set(replyJobs.flatMap((j) => j.data.replyIds)).size).toBe(60);
  });

  it('settles the orders Stripe answered for when it fails for some, and retries only the others', async () => {
    const { productId, orderIds } = await reservedOrders(30);
    const calls: Array<{ orderId: string; at: number }> = [];
    const run = processor(db, payments(calls));
    emu.injectFault({ status: 500, path: '/v1/payment_intents', method: 'POST', count: 7 });
    await expect(run(jobFor(orderIds))).rejects.toThrow(/Stripe unavailable for 7 of 30 orders/);
    emu.clearFaults();
    const first = await seen(productId, orderIds);
    expect(first).toMatchObject({ statuses: [{ status: 'charging', n: 7 }, { status: 'paid', n: 23 }], receipts: 23, otherReplies: 0, stock: { reserved: 7, sold: 23 }, chargedTwice: 0 });
    const stillCharging = (await db.query<{ id: string }>(`SELECT id FROM orders WHERE id = ANY($1) AND status = 'charging' ORDER BY id`, [orderIds])).rows.map((r) => r.id);

    // The job's retry: Stripe is asked again only about the 7, under the same idempotency keys.
    calls.length = 0;
    expect(await run(jobFor(orderIds))).toEqual({ orders: 30, unavailable: 0 });
    expect(calls.map((c) => c.orderId).sort()).toEqual(stillCharging);
    expect(await seen(productId, orderIds)).toEqual({
      statuses: [{ status: 'paid', n: 30 }], receipts: 30, otherReplies: 0, paidEvents: 30, stock: { reserved: 0, sold: 30 }, chargedOnce: true, chargedTwice: 0,
    });

    // Run again (a redelivered job): nobody is charged twice, nothing changes.
    calls.length = 0;
    await run(jobFor(orderIds));
    expect(calls).toEqual([]);
    expect(await seen(productId, orderIds)).toMatchObject({ statuses: [{ status: 'paid', n: 30 }], receipts: 30, paidEvents: 30, chargedOnce: true });
  });

  it('settles the orders Stripe answered for while the last answer is still on its way', async () => {
    const { productId, orderIds } = await reservedOrders(12);
    const [slowest, ...others] = [...orderIds].sort();
    // Stripe answers every order at once but the last, which it holds until the test lets it go.
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => { letGo = resolve; });
    const real = payments();
    const slow: PaymentsPort = { ...real, chargeOrder: async (req) => {
      const result = await real.chargeOrder(req);
      if (req.orderId === slowest) await held;
      return result;
    } };
    const running = processor(db, slow)(jobFor(orderIds));
    const paidSoFar = async () => (await db.query<{ id: string }>(
      `SELECT o.id FROM orders o JOIN replies r ON r.order_id = o.id AND r.kind = 'receipt' WHERE o.id = ANY($1) AND o.status = 'paid' ORDER BY o.id`, [orderIds],
    )).rows.map((r) => r.id);
    // The buyers Stripe answered for are paid, their receipts written, while one answer is out.
    for (let i = 0; i < 200 && (await paidSoFar()).length < others.length; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await paidSoFar()).toEqual(others);
    expect((await db.query('SELECT status FROM orders WHERE id = $1', [slowest])).rows[0].status).toBe('charging');
    letGo();
    expect(await running).toEqual({ orders: 12, unavailable: 0 });
    expect(await seen(productId, orderIds)).toEqual({
      statuses: [{ status: 'paid', n: 12 }], receipts: 12, otherReplies: 0, paidEvents: 12, stock: { reserved: 0, sold: 12 }, chargedOnce: true, chargedTwice: 0,
    });
  });

  it('still charges a single-order `charge` job from before batches', async () => {
    const { productId, orderIds } = await reservedOrders(1);
    await processor(db, payments())({ id: `charge-${orderIds[0]}`, name: 'charge', data: { orderId: orderIds[0] }, attemptsMade: 0 } as unknown as Job);
    expect(await seen(productId, orderIds)).toMatchObject({ statuses: [{ status: 'paid', n: 1 }], receipts: 1, chargedOnce: true });
  });

  it('keeps Stripe within its rate budget across worker processes', async () => {
    // 40 calls/s (4 per 100 ms window), shared by two processors as by two worker processes.
    const budget = 40;
    const limit = stripeLimiter(budget);
    const key = `${testPrefix()}:stripe-budget`;
    const calls: Array<{ orderId: string; at: number }> = [];
    const a = await reservedOrders(30);
    const b = await reservedOrders(30);
    const other = new Redis(REDIS_URL);
    try {
      const [ra, rb] = [processor(db, payments(calls), createRateBudget(redis, key, limit)), processor(db, payments(calls), createRateBudget(other, key, limit))];
      await Promise.all([ra(jobFor(a.orderIds)), rb(jobFor(b.orderIds))]);
    } finally {
      other.disconnect();
    }
    expect(calls).toHaveLength(60);
    // In any second (wherever it starts) at most the budget plus a tenth, and one window more for
    // the clocks of this process and Redis's not agreeing to the millisecond.
    const at = calls.map((c) => c.at).sort((x, y) => x - y);
    const busiestSecond = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    expect(busiestSecond).toBeLessThanOrEqual(budget * 1.1 + limit.max);
    expect(await seen(a.productId, a.orderIds)).toMatchObject({ statuses: [{ status: 'paid', n: 30 }], chargedOnce: true });
    expect(await seen(b.productId, b.orderIds)).toMatchObject({ statuses: [{ status: 'paid', n: 30 }], chargedOnce: true });
  });
});
