import { createPool, withTransaction, type Db } from '../../../src/db/pool';
import { IllegalTransitionError, ORDER_STATUSES } from '../../../src/orders/lifecycle';
import { lockOrder, transitionOrder } from '../../../src/orders/orders.store';
import { createTestDatabase, type TestDatabase } from '../../support/db';

let tdb: TestDatabase;
let db: Db;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createPool(tdb.url, 2);
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_t', 'T')`);
  await db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, hashtag_skeleton, unit_amount, currency)
                  VALUES ('prod_t', 'mer_t', 'Mug', 'BuyMug', 'buymug', 'buymug', 1800, 'usd')`);
});
afterAll(async () => {
  await db.end();
  await tdb.drop();
});

async function order(id: string, status: string): Promise<void> {
  await db.query(
    `INSERT INTO orders (id, merchant_id, product_id, tweet_id, chain_id, buyer_x_user_id, quantity, amount, currency, status)
     VALUES ($1, 'mer_t', 'prod_t', $1, $1, '42', 1, 1800, 'usd', $2)`,
    [id, status],
  );
}
const events = async (id: string) => (await db.query<{ type: string }>('SELECT type FROM order_events WHERE order_id = $1 ORDER BY id', [id])).rows.map((r) => r.type);

describe('order transitions through the lifecycle table', () => {
  it('moves an order the table allows, with its event in the same statement', async () => {
    await order('ord_ok', 'paid');
    const row = await withTransaction(db, async (tx) => transitionOrder(tx, (await lockOrder(tx, 'ord_ok'))!, 'partially_refunded', { amount_refunded: 500 }, { amount_refunded: 500 }));
    expect(row).toMatchObject({ status: 'partially_refunded', amount_refunded: 500 });
    expect(await events('ord_ok')).toEqual(['order.partially_refunded']);
  });

  it('refuses a transition the table does not allow and changes nothing', async () => {
    await order('ord_paid', 'paid');
    await expect(withTransaction(db, async (tx) => transitionOrder(tx, (await lockOrder(tx, 'ord_paid'))!, 'canceled'))).rejects.toBeInstanceOf(IllegalTransitionError);
    expect((await db.query('SELECT status FROM orders WHERE id = $1', ['ord_paid'])).rows[0].status).toBe('paid');
    expect(await events('ord_paid')).toEqual([]);
  });

  it('refuses to write over a status that changed since it was read', async () => {
    await order('ord_stale', 'reserved');
    await db.query(`UPDATE orders SET status = 'charging' WHERE id = 'ord_stale'`);
    await expect(transitionOrder(db, { id: 'ord_stale', status: 'reserved' }, 'canceled')).rejects.toThrow(/no longer reserved/);
    expect(await events('ord_stale')).toEqual([]);
  });

  it('the database accepts exactly the statuses of the lifecycle table (the migrations cannot drift from it)', async () => {
    const { rows } = await db.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'orders'::regclass AND conname = 'orders_status_check'`,
    );
    const inCheck = [...(rows[0]?.def ?? '').matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort();
    expect(inCheck).toEqual([...ORDER_STATUSES].sort());
  });
});
