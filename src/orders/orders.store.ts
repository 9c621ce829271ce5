import type { Queryable } from '../db/pool';
import type { OrderRow } from './orders.repository';
import type { OrderStatus } from './orders.schema';

/** Write-side SQL of the purchase pipeline. Every function runs inside the caller's transaction. */

export interface NewOrder {
  id: string;
  merchantId: string;
  productId: string;
  tweetId: string;
  buyerXUserId: string;
  buyerXUsername: string | null;
  buyerId: string | null;
  quantity: number;
  amount: number;
  currency: string;
  status: OrderStatus;
  stockHeld: boolean;
  failureCode?: string | null;
  failureMessage?: string | null;
}

export async function insertOrder(tx: Queryable, o: NewOrder): Promise<OrderRow | undefined> {
  const { rows } = await tx.query<OrderRow>(
    `INSERT INTO orders (id, merchant_id, product_id, tweet_id, buyer_x_user_id, buyer_x_username, buyer_id, quantity, amount,
       currency, status, stock_held, failure_code, failure_message)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
     ON CONFLICT (tweet_id, product_id) DO NOTHING RETURNING *`,
    [o.id, o.merchantId, o.productId, o.tweetId, o.buyerXUserId, o.buyerXUsername, o.buyerId, o.quantity, o.amount,
      o.currency, o.status, o.stockHeld, o.failureCode ?? null, o.failureMessage ?? null],
  );
  if (rows[0]) await addOrderEvent(tx, rows[0].id, `order.${o.status}`, { quantity: o.quantity, amount: o.amount });
  return rows[0];
}

export async function addOrderEvent(tx: Queryable, orderId: string, type: string, data: Record<string, unknown> = {}): Promise<void> {
  await tx.query('INSERT INTO order_events (order_id, type, data) VALUES ($1, $2, $3)', [orderId, type, data]);
}

/** Takes units only if they are there: the row lock makes concurrent buyers queue, never oversell. */
export async function reserveStock(tx: Queryable, productId: string, quantity: number): Promise<boolean> {
  const r = await tx.query(
    `UPDATE products SET reserved = reserved + $2
     WHERE id = $1 AND (inventory IS NULL OR inventory - reserved - sold >= $2)`,
    [productId, quantity],
  );
  return r.rowCount === 1;
}

export async function releaseStock(tx: Queryable, productId: string, quantity: number): Promise<void> {
  await tx.query('UPDATE products SET reserved = reserved - $2 WHERE id = $1', [productId, quantity]);
}

export async function sellReservedStock(tx: Queryable, productId: string, quantity: number): Promise<void> {
  await tx.query('UPDATE products SET reserved = reserved - $2, sold = sold + $2 WHERE id = $1', [productId, quantity]);
}

/** Locks the order row (not the product's: stock changes lock that one briefly on their own). */
export async function lockOrder(tx: Queryable, id: string): Promise<(OrderRow & { product_name: string }) | undefined> {
  const { rows } = await tx.query<OrderRow & { product_name: string }>(
    'SELECT o.*, p.name AS product_name FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = $1 FOR UPDATE OF o',
    [id],
  );
  return rows[0];
}

export async function findOrderById(db: Queryable, id: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  return rows[0];
}

export type OrderPatch = Partial<Pick<OrderRow, 'status' | 'stock_held' | 'failure_code' | 'failure_message' | 'payment_intent_id' |
  'checkout_session_id' | 'action_expires_at' | 'paid_at' | 'reply_status' | 'amount_refunded' | 'buyer_id'>>;

export async function updateOrder(tx: Queryable, id: string, patch: OrderPatch): Promise<OrderRow> {
  const cols = Object.keys(patch) as Array<keyof OrderPatch>;
  const sets = cols.map((c, i) => `${c} = $${i + 2}`);
  const { rows } = await tx.query<OrderRow>(
    `UPDATE orders SET ${[...sets, 'updated_at = clock_timestamp()'].join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...cols.map((c) => patch[c])],
  );
  return rows[0]!;
}

