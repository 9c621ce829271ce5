import type { Queryable } from '../db/pool';
import type { OrderRow } from './orders.repository';
import { assertTransition, INITIAL_STATUSES, type OrderStatus } from './lifecycle';
import type { ShippingAddress } from '../shipping/address';
import { ORDER_ITEM_NAME } from '../variants/variants.repository';
import { unlimitedStockSql } from '../products/stock.repository';

/**
 * Write-side SQL of the purchase pipeline: orders placed, locked and moved, stock held and let go,
 * fulfilment. The charge start and the settle are in charges.store. Every function runs inside the
 * caller's transaction.
 */

export interface NewOrder {
  id: string;
  merchantId: string;
  productId: string;
  tweetId: string;
  /** The first id of the post's edit history: one order per edit chain (orders_one_per_edit_chain). */
  chainId: string;
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

const ORDER_COLUMNS = 'id, merchant_id, product_id, tweet_id, chain_id, buyer_x_user_id, buyer_x_username, buyer_id, quantity, amount, currency, status, stock_held, failure_code';

/** The order and its first event in one statement (one round trip inside the caller's transaction). */
export async function insertOrder(tx: Queryable, o: NewOrder): Promise<OrderRow | undefined> {
  if (!INITIAL_STATUSES.includes(o.status)) throw new Error(`an order cannot begin as ${o.status}`);
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       INSERT INTO orders (${ORDER_COLUMNS}, failure_message)
       VALUES ($1,$2,$3,$4,$16,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
       ON CONFLICT (tweet_id, product_id) DO NOTHING RETURNING *),
     e AS (INSERT INTO order_events (order_id, type, data)
           SELECT o.id, t.type, $15 FROM o, LATERAL (VALUES (1, 'order.created'), (2, 'order.' || o.status)) AS t (n, type) ORDER BY t.n)
     SELECT * FROM o`,
    [o.id, o.merchantId, o.productId, o.tweetId, o.buyerXUserId, o.buyerXUsername, o.buyerId, o.quantity, o.amount,
      o.currency, o.status, o.stockHeld, o.failureCode ?? null, o.failureMessage ?? null, { quantity: o.quantity, amount: o.amount }, o.chainId],
  );
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

/** `product.sold_out` (attributed to the order that took the last unit) when none is left. */
export async function addSoldOutEventIfLast(tx: Queryable, orderId: string, productId: string): Promise<void> {
  await tx.query(
    `INSERT INTO order_events (order_id, type, data)
     SELECT $1, 'product.sold_out', jsonb_build_object('product', id) FROM products
     WHERE id = $2 AND inventory IS NOT NULL AND inventory - reserved - sold = 0`,
    [orderId, productId],
  );
}

export async function releaseStock(tx: Queryable, productId: string, quantity: number): Promise<void> {
  await tx.query('UPDATE products SET reserved = reserved - $2 WHERE id = $1', [productId, quantity]);
}

/** Locks the order row (not the product's: stock changes lock that one briefly on their own). */
export async function lockOrder(tx: Queryable, id: string): Promise<(OrderRow & { product_name: string }) | undefined> {
  const { rows } = await tx.query<OrderRow & { product_name: string }>(
    `SELECT o.*, ${ORDER_ITEM_NAME} AS product_name FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = $1 FOR UPDATE OF o`,
    [id],
  );
  return rows[0];
}

/** The order with its product's name, read without a lock (what a receipt's text needs). */
export async function findOrderWithProduct(db: Queryable, id: string): Promise<(OrderRow & { product_name: string }) | undefined> {
  const { rows } = await db.query<OrderRow & { product_name: string }>(
    `SELECT o.*, ${ORDER_ITEM_NAME} AS product_name FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = $1`,
    [id],
  );
  return rows[0];
}

export async function findOrderById(db: Queryable, id: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  return rows[0];
}

export type OrderPatch = Partial<Pick<OrderRow, 'stock_held' | 'failure_code' | 'failure_message' | 'payment_intent_id' |
  'checkout_session_id' | 'action_expires_at' | 'paid_at' | 'reply_status' | 'amount_refunded' | 'buyer_id'>>;

/**
 * Moves a locked order to `to` if the lifecycle allows it (IllegalTransitionError otherwise), with
 * its `order.<to>` event, in one statement. The `WHERE status` makes a stale `order` fail loudly
 * rather than overwrite a transition made since it was read.
 */
export async function transitionOrder(
  tx: Queryable, order: Pick<OrderRow, 'id' | 'status'>, to: OrderStatus, patch: OrderPatch = {}, eventData: Record<string, unknown> = {},
): Promise<OrderRow> {
  assertTransition(order.status, to);
  const cols = Object.keys(patch) as Array<keyof OrderPatch>;
  const sets = cols.map((c, i) => `${c} = $${i + 5}`);
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       UPDATE orders SET ${['status = $3', ...sets, 'updated_at = clock_timestamp()'].join(', ')}
       WHERE id = $1 AND status = $2 RETURNING *),
     e AS (INSERT INTO order_events (order_id, type, data) SELECT id, 'order.' || status, $4 FROM o)
     SELECT * FROM o`,
    [order.id, order.status, to, eventData, ...cols.map((c) => patch[c])],
  );
  if (!rows[0]) throw new Error(`order ${order.id} is no longer ${order.status}`);
  return rows[0];
}

export type PlacedOrder = OrderRow & { sold_out_reply_id: string | null };

/**
 * A linked buyer's order in one statement: take the stock if it is there, insert the order as
 * `reserved` (holding it) or `sold_out`, its first event, the sold-out reply, and the post's
 * outcome. One round trip, so the product row's lock is held for as short a time as possible
 * when a flash sale makes every buyer queue on it. The post must be claimed in this transaction.
 */
export async function placeOrder(
  tx: Queryable,
  o: Omit<NewOrder, 'status' | 'stockHeld' | 'failureCode' | 'failureMessage'>,
  soldOutReply: { id: string; text: string },
): Promise<PlacedOrder | undefined> {
  const { rows } = await tx.query<PlacedOrder>(
    `WITH r AS (
       -- Unlimited stock is not counted and its orders hold nothing (stock.repository).
       UPDATE products SET reserved = reserved + CASE WHEN ${unlimitedStockSql('products')} THEN 0 ELSE $8 END
       WHERE id = $3 AND (inventory IS NULL OR inventory - reserved - sold >= $8)
       RETURNING id, NOT ${unlimitedStockSql('products')} AS held, inventory IS NOT NULL AND inventory - reserved - sold = 0 AS last_unit_taken),
     o AS (
       INSERT INTO orders (${ORDER_COLUMNS}, reply_status)
       SELECT $1, $2, $3, $4, $14, $5, $6, $7, $8, $9, $10,
         CASE WHEN r.id IS NULL THEN 'sold_out' ELSE 'reserved' END, COALESCE(r.held, false),
         CASE WHEN r.id IS NULL THEN 'sold_out' END, CASE WHEN r.id IS NULL THEN 'pending' ELSE 'none' END
       FROM (SELECT 1) AS one LEFT JOIN r ON true
       ON CONFLICT (tweet_id, product_id) DO NOTHING RETURNING *),
     e AS (INSERT INTO order_events (order_id, type, data)
           SELECT o.id, t.type, CASE WHEN t.n = 3 THEN jsonb_build_object('product', o.product_id) ELSE $11 END
           FROM o LEFT JOIN r ON true,
             LATERAL (VALUES (1, 'order.created'), (2, 'order.' || o.status), (3, 'product.sold_out')) AS t (n, type)
           WHERE t.n < 3 OR r.last_unit_taken ORDER BY t.n),
     rep AS (
       INSERT INTO replies (id, in_reply_to_tweet_id, order_id, kind, text)
       SELECT $12, $4, id, 'sold_out', $13 FROM o WHERE status = 'sold_out'
       ON CONFLICT (in_reply_to_tweet_id, kind, subject_key) DO NOTHING RETURNING id),
     p AS (UPDATE posts SET outcome = CASE WHEN o.status = 'sold_out' THEN 'sold_out' ELSE 'order_created' END, reason = NULL
           FROM o WHERE posts.tweet_id = $4)
     SELECT o.*, (SELECT id FROM rep) AS sold_out_reply_id FROM o`,
    [o.id, o.merchantId, o.productId, o.tweetId, o.buyerXUserId, o.buyerXUsername, o.buyerId, o.quantity, o.amount,
      o.currency, { quantity: o.quantity, amount: o.amount }, soldOutReply.id, soldOutReply.text, o.chainId],
  );
  return rows[0];
}

export interface FulfillmentDetails {
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
}

/**
 * Marks a locked, unfulfilled order fulfilled with its `order.fulfilled` event, in one statement.
 * Fulfilment is apart from the payment status: the status column is not touched.
 */
export async function recordFulfillment(tx: Queryable, orderId: string, f: FulfillmentDetails): Promise<OrderRow | undefined> {
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       UPDATE orders SET fulfillment_status = 'fulfilled', fulfillment_carrier = $2, fulfillment_tracking_number = $3,
         fulfillment_tracking_url = $4, fulfilled_at = clock_timestamp(), updated_at = clock_timestamp()
       WHERE id = $1 AND fulfillment_status = 'unfulfilled' RETURNING *),
     e AS (INSERT INTO order_events (order_id, type, data)
           SELECT id, 'order.fulfilled', jsonb_build_object('carrier', $2::text, 'tracking_number', $3::text, 'tracking_url', $4::text) FROM o)
     SELECT * FROM o`,
    [orderId, f.carrier, f.trackingNumber, f.trackingUrl],
  );
  return rows[0];
}

export interface ShippingNeed {
  shipping: 'required' | 'none';
  shipping_countries: string[] | null;
  address: ShippingAddress | null;
}

/** What an order's product asks of the buyer's address, and the address the buyer has now. */
export async function shippingNeedOf(tx: Queryable, orderId: string): Promise<ShippingNeed | undefined> {
  const { rows } = await tx.query<ShippingNeed>(
    `SELECT p.shipping, p.shipping_countries, b.shipping AS address FROM orders o JOIN products p ON p.id = o.product_id
     LEFT JOIN buyers b ON b.x_user_id = o.buyer_x_user_id WHERE o.id = $1`,
    [orderId],
  );
  return rows[0];
}
