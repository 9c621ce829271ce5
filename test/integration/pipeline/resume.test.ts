import { createTestDatabase, type TestDatabase } from '../../support/db';
import { createPool, type Db } from '../../../src/db/pool';
import { createChargingService } from '../../../src/orders/charging.service';
import { createStripeAdapter } from '../../../src/payments/stripe.adapter';
import { createLinkSigner } from '../../../src/links/links';
import { createLogger } from '../../../src/logger';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 3);
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_m', 'M')`);
  // No waitlist: an order that finds no unit is told it is sold out (the waitlist case is below).
  await db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, max_per_order, waitlist)
                  VALUES ('prod_p', 'mer_m', 'Lamp', 'BuyLamp', 'buylamp', 1000, 'usd', 1, 1, false)`);
  await db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id, daily_limit_amount) VALUES ('buy_b', '900', 'cus_1', 'pm_1', 3500)`);
  for (const [id, tweet, amount] of [['ord_1', '101', 1000], ['ord_2', '102', 1000], ['ord_3', '103', 2000]] as const) {
    await db.query(
      `INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status)
       VALUES ($1, 'mer_m', 'prod_p', $2, '900', 1, $3, 'usd', 'awaiting_signup')`,
      [id, tweet, amount],
    );
  }
  await db.query(`INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status)
                  VALUES ('ord_0', 'mer_m', 'prod_p', '100', '900', 1, 1000, 'usd', 'paid')`);
});
afterAll(async () => {
  await db.end();
  await database.drop();
});

describe('a buyer who links a card: waiting orders resume', () => {
  it('reserves while stock lasts, answers sold out after, and holds to the daily spending limit', async () => {
    // The payments port is never called when orders resume; it points nowhere on purpose.
    const payments = createStripeAdapter({ secretKey: 'sk_test_unused', webhookSecret: () => undefined, apiBase: 'http://127.0.0.1:1' });
    const charging = createChargingService({ db, payments, signer: createLinkSigner('resume-secret-0123456789abcdef0123'), publicBaseUrl: 'https://shop.test', log: createLogger('silent') });
    const followups = await charging.resumeWaitingOrders('900', 'buy_b');

    const status = Object.fromEntries((await db.query(`SELECT id, status, failure_code FROM orders WHERE id <> 'ord_0'`)).rows.map((r) => [r.id, [r.status, r.failure_code]]));
    // Limit 3,500: 1,000 paid + 1,000 reserved fit; the third (2,000) would pass it; the second finds no stock.
    expect(status).toEqual({ ord_1: ['reserved', null], ord_2: ['sold_out', 'sold_out'], ord_3: ['failed', 'daily_limit_exceeded'] });
    expect(followups.filter((f) => f.kind === 'charge')).toEqual([{ kind: 'charge', orderId: 'ord_1' }]);
    const replies = (await db.query('SELECT in_reply_to_tweet_id, kind, text FROM replies ORDER BY in_reply_to_tweet_id')).rows;
    expect(replies.map((r) => [r.in_reply_to_tweet_id, r.kind])).toEqual([['102', 'sold_out'], ['103', 'spending_limit']]);
    expect(replies[1].text).toContain('https://shop.test/account');
    expect((await db.query(`SELECT reserved FROM products WHERE id = 'prod_p'`)).rows[0].reserved).toBe(1);
    // The resumed order took the last unit: merchants hear product.sold_out, once.
    expect((await db.query(`SELECT order_id, data FROM order_events WHERE type = 'product.sold_out'`)).rows).toEqual([{ order_id: 'ord_1', data: { product: 'prod_p' } }]);
  });

  it('with a waitlist, an order that finds no unit joins it at its post\'s place', async () => {
    await db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, sold, max_per_order)
                    VALUES ('prod_w', 'mer_m', 'Stool', 'BuyStool', 'buystool', 1000, 'usd', 1, 1, 1)`);
    await db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id) VALUES ('buy_w', '901', 'cus_2', 'pm_2')`);
    // Someone whose post came later already waits; this buyer posted earlier, before linking a card.
    await db.query(`INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, quantity, amount, currency, status) VALUES
                    ('ord_w9', 'mer_m', 'prod_w', '250', '902', 1, 1000, 'usd', 'waitlisted'),
                    ('ord_w1', 'mer_m', 'prod_w', '210', '901', 1, 1000, 'usd', 'awaiting_signup')`);
    const payments = createStripeAdapter({ secretKey: 'sk_test_unused', webhookSecret: () => undefined, apiBase: 'http://127.0.0.1:1' });
    const charging = createChargingService({ db, payments, signer: createLinkSigner('resume-secret-0123456789abcdef0123'), publicBaseUrl: 'https://shop.test', log: createLogger('silent') });
    const followups = await charging.resumeWaitingOrders('901', 'buy_w');
    expect((await db.query(`SELECT status, buyer_id FROM orders WHERE id = 'ord_w1'`)).rows[0]).toEqual({ status: 'waitlisted', buyer_id: 'buy_w' });
    expect(followups).toEqual([expect.objectContaining({ kind: 'reply', replyKind: 'waitlisted', subject: 'ord_w1' })]);
    const reply = (await db.query(`SELECT text FROM replies WHERE in_reply_to_tweet_id = '210'`)).rows[0];
    expect(reply.text).toMatch(/You are number 1 on the waitlist/);
  });
});
