import { createTestDatabase, type TestDatabase } from '../../support/db';
import { createPool, type Db } from '../../../src/db/pool';
import { createChargingService } from '../../../src/orders/charging.service';
import { createStripeAdapter } from '../../../src/payments/stripe.adapter';
import { createLinkSigner } from '../../../src/links/links';
import { createLogger } from '../../../src/logger';

let database: TestDatabase;
let db: Db;
let charging: ReturnType<typeof createChargingService>;

const CA = { name: 'Ann', phone: null, line1: '5 Elm Rd', line2: null, city: 'Toronto', state: 'ON', postal_code: 'M5V 2T6', country: 'CA' };
const US = { ...CA, city: 'Austin', state: 'TX', postal_code: '73301', country: 'US' };

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 3);
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_m', 'M')`);
  await db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, max_per_order, shipping, shipping_countries)
                  VALUES ('prod_p', 'mer_m', 'Lamp', 'BuyLamp', 'buylamp', 1000, 'usd', 2, 1, 'required', '{US}')`);
  await db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id, shipping) VALUES ('buy_b', '900', 'cus_1', 'pm_1', $1)`, [JSON.stringify(CA)]);
  for (const [id, tweet] of [['ord_1', '101'], ['ord_2', '102']] as const) {
    await db.query(
      `INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status)
       VALUES ($1, 'mer_m', 'prod_p', $2, '900', 1, 1000, 'usd', 'awaiting_signup')`,
      [id, tweet],
    );
  }
  // The payments port is never called here; it points nowhere on purpose.
  const payments = createStripeAdapter({ secretKey: 'sk_test_unused', webhookSecret: () => undefined, apiBase: 'http://127.0.0.1:1' });
  charging = createChargingService({ db, payments, signer: createLinkSigner('details-secret-0123456789abcdef0123'), publicBaseUrl: 'https://shop.test', log: createLogger('silent') });
});
afterAll(async () => {
  await db.end();
  await database.drop();
});

const orders = async () => Object.fromEntries((await db.query('SELECT id, status, stock_held, failure_code FROM orders ORDER BY id')).rows.map((r) => [r.id, [r.status, r.stock_held, r.failure_code]]));
const reserved = async () => (await db.query(`SELECT reserved FROM products WHERE id = 'prod_p'`)).rows[0].reserved;

describe('orders for a shipped product wait for an address the product ships to', () => {
  it('an address outside the countries holds the order and its unit, and asks by reply; nothing is charged', async () => {
    const followups = await charging.resumeWaitingOrders('900', 'buy_b');
    expect(followups.filter((f) => f.kind === 'charge')).toEqual([]);
    expect(await orders()).toEqual({ ord_1: ['awaiting_details', true, null], ord_2: ['awaiting_details', true, null] });
    expect(await reserved()).toBe(2);
    const replies = (await db.query(`SELECT kind, text FROM replies WHERE order_id = 'ord_1'`)).rows;
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ kind: 'address_needed' });
    expect(replies[0].text).toContain('https://shop.test/account/address?order=ord_1');
    expect(replies[0].text).not.toMatch(/Elm|Toronto|M5V/);
    const events = (await db.query(`SELECT data FROM order_events WHERE order_id = 'ord_1' AND type = 'order.awaiting_details'`)).rows;
    expect(events).toEqual([{ data: { reason: 'address_not_shipped_to' } }]);
    // Still outside: saving does not move them.
    expect(await charging.resumeAwaitingDetails('900')).toEqual([]);
  });

  it('one left too long expires and frees its unit; the other goes to the charge once the address ships', async () => {
    await db.query(`UPDATE orders SET created_at = now() - interval '25 hours' WHERE id = 'ord_2'`);
    expect(await charging.expireStale(new Date(), 24)).toEqual(['ord_2']);
    expect((await orders()).ord_2).toEqual(['expired', false, 'address_not_given']);
    expect(await reserved()).toBe(1);

    await db.query(`UPDATE buyers SET shipping = $1 WHERE id = 'buy_b'`, [JSON.stringify(US)]);
    expect(await charging.resumeAwaitingDetails('900')).toEqual([{ kind: 'charge', orderId: 'ord_1' }]);
    expect((await orders()).ord_1).toEqual(['reserved', true, null]);
    expect(await charging.resumeAwaitingDetails('900')).toEqual([]);
  });
});
