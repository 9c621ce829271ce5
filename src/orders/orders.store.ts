import type { Queryable } from '../db/pool';
import type { OrderRow } from './orders.repository';
import { assertTransition, CHARGE_PENDING, INITIAL_STATUSES, MONEY_TAKEN, sourcesOf, sqlStatuses, type OrderStatus } from './lifecycle';
import type { ShippingAddress } from '../shipping/address';
import { ORDER_ITEM_NAME } from '../variants/variants.repository';
import { unlimitedStockSql } from '../products/stock.repository';

/** Write-side SQL of the purchase pipeline. Every function runs inside the caller's transaction. */

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

export type ChargeStart = OrderRow & {
  product_name: string; stripe_customer_id: string | null; payment_method_id: string | null;
  /** Where Stripe emails the receipt (the buyer's email from Checkout, fixed at the first attempt); null if none. */
  receipt_email: string | null;
};

/**
 * `reserved` → `charging` for a batch, in one statement: every order still `reserved` or
 * `charging` among `orderIds` (a retry finds it `charging` already and goes on with the same
 * idempotency key), with the events of those that were `reserved`, the product's name and the
 * buyer's saved card. Locked in id order, so concurrent batches queue rather than deadlock.
 * Orders in no state to be charged are left out.
 */
export async function startCharges(db: Queryable, orderIds: string[]): Promise<ChargeStart[]> {
  const { rows } = await db.query<ChargeStart>(
    `WITH prev AS (SELECT id, status FROM orders WHERE id = ANY($1) AND status IN (${sqlStatuses(CHARGE_PENDING)}) ORDER BY id FOR UPDATE),
     o AS (
       UPDATE orders SET status = 'charging',
         -- The address the order ships to is the buyer's at the first charge attempt, kept for
         -- retries (Stripe refuses the same idempotency key with another address) and for the merchant.
         shipping = COALESCE(orders.shipping, (SELECT b.shipping FROM products p JOIN buyers b ON b.x_user_id = orders.buyer_x_user_id
                                               WHERE p.id = orders.product_id AND p.shipping = 'required')),
         receipt_email = COALESCE(orders.receipt_email, (SELECT b.email FROM buyers b WHERE b.x_user_id = orders.buyer_x_user_id)),
         updated_at = CASE WHEN prev.status = 'reserved' THEN clock_timestamp() ELSE orders.updated_at END
       FROM prev WHERE orders.id = prev.id
       RETURNING orders.*, prev.status AS previous_status),
     e AS (INSERT INTO order_events (order_id, type, data) SELECT id, 'order.charging', '{}' FROM o WHERE previous_status = 'reserved' ORDER BY id)
     SELECT o.*, ${ORDER_ITEM_NAME} AS product_name, b.stripe_customer_id, b.payment_method_id
     FROM o JOIN products p ON p.id = o.product_id LEFT JOIN buyers b ON b.x_user_id = o.buyer_x_user_id ORDER BY o.id`,
    [orderIds],
  );
  return rows;
}

export interface PaidEntry {
  orderId: string;
  paymentIntentId: string;
  receipt: { id: string; text: string };
}

export interface MarkManyPaidResult {
  order_id: string;
  late: boolean;
  receipt_reply_id: string | null;
}

/**
 * markOrderPaid for a batch, in one statement: orders, the units they held (summed per product),
 * events and receipts. One row per order found; `late` as in markOrderPaid; no receipt id when the
 * order was paid already (a re-run: its receipt was written then).
 */
export async function markOrdersPaid(db: Queryable, entries: PaidEntry[]): Promise<MarkManyPaidResult[]> {
  if (!entries.length) return [];
  const { rows } = await db.query<MarkManyPaidResult>(
    `WITH input AS (
       SELECT * FROM json_to_recordset($1::json) AS x (order_id text, payment_intent_id text, reply_id text, reply_text text)),
     prev AS (
       SELECT o.id, o.status, o.stock_held, o.product_id, o.quantity, input.payment_intent_id, input.reply_id, input.reply_text
       FROM orders o JOIN input ON input.order_id = o.id ORDER BY o.id FOR UPDATE OF o),
     paid AS (
       UPDATE orders SET status = 'paid', stock_held = false, payment_intent_id = prev.payment_intent_id, paid_at = clock_timestamp(),
         failure_code = NULL, failure_message = NULL, reply_status = 'pending', updated_at = clock_timestamp()
       FROM prev WHERE orders.id = prev.id AND prev.status IN (${sqlStatuses(sourcesOf('paid'))})
       RETURNING orders.id, orders.tweet_id),
     late AS (SELECT * FROM prev WHERE status NOT IN (${sqlStatuses([...sourcesOf('paid'), ...MONEY_TAKEN])})),
     held AS (
       SELECT prev.product_id, sum(prev.quantity) AS quantity FROM prev JOIN paid ON paid.id = prev.id
       WHERE prev.stock_held GROUP BY prev.product_id),
     stock AS (
       UPDATE products SET reserved = reserved - held.quantity, sold = sold + held.quantity
       FROM held WHERE products.id = held.product_id),
     ev AS (
       INSERT INTO order_events (order_id, type, data)
       SELECT * FROM (
         SELECT paid.id, 'order.paid', jsonb_build_object('payment_intent', prev.payment_intent_id) FROM paid JOIN prev ON prev.id = paid.id
         UNION ALL
         SELECT id, 'order.late_payment', jsonb_build_object('payment_intent', payment_intent_id, 'status', status) FROM late) AS x (id, type, data)
       ORDER BY id),
     rep AS (
       INSERT INTO replies (id, in_reply_to_tweet_id, order_id, kind, text)
       SELECT prev.reply_id, paid.tweet_id, paid.id, 'receipt', prev.reply_text FROM paid JOIN prev ON prev.id = paid.id ORDER BY paid.id
       ON CONFLICT (in_reply_to_tweet_id, kind, subject_key) DO NOTHING RETURNING id, order_id)
     SELECT prev.id AS order_id, prev.id IN (SELECT id FROM late) AS late, rep.id AS receipt_reply_id
     FROM prev LEFT JOIN rep ON rep.order_id = prev.id ORDER BY prev.id`,
    [JSON.stringify(entries.map((e) => ({ order_id: e.orderId, payment_intent_id: e.paymentIntentId, reply_id: e.receipt.id, reply_text: e.receipt.text })))],
  );
  return rows;
}

export interface MarkPaidResult {
  /** Paid after we gave up on the order (expired, failed): recorded as such, the money should go back. */
  late: boolean;
  receipt_reply_id: string | null;
}

/**
 * Stripe says the money arrived: the order becomes `paid`, its held units become sold, the
 * event and the receipt reply are written, all in one statement. Paid after we gave up on the
 * order (expired, failed) is recorded as a late payment and changes nothing else.
 */
export async function markOrderPaid(db: Queryable, orderId: string, paymentIntentId: string, receipt: { id: string; text: string }): Promise<MarkPaidResult> {
  const { rows } = await db.query<MarkPaidResult>(
    `WITH prev AS (SELECT id, status, stock_held, product_id, quantity FROM orders WHERE id = $1 FOR UPDATE),
     paid AS (
       UPDATE orders SET status = 'paid', stock_held = false, payment_intent_id = $2, paid_at = clock_timestamp(),
         failure_code = NULL, failure_message = NULL, reply_status = 'pending', updated_at = clock_timestamp()
       FROM prev WHERE orders.id = prev.id AND prev.status IN (${sqlStatuses(sourcesOf('paid'))})
       RETURNING orders.id, orders.tweet_id),
     late AS (SELECT * FROM prev WHERE status NOT IN (${sqlStatuses([...sourcesOf('paid'), ...MONEY_TAKEN])})),
     stock AS (
       UPDATE products SET reserved = reserved - prev.quantity, sold = sold + prev.quantity
       FROM prev, paid WHERE products.id = prev.product_id AND prev.stock_held),
     ev AS (
       INSERT INTO order_events (order_id, type, data)
       SELECT id, 'order.paid', jsonb_build_object('payment_intent', $2::text) FROM paid
       UNION ALL
       SELECT id, 'order.late_payment', jsonb_build_object('payment_intent', $2::text, 'status', status) FROM late),
     rep AS (
       INSERT INTO replies (id, in_reply_to_tweet_id, order_id, kind, text)
       SELECT $3, tweet_id, id, 'receipt', $4 FROM paid
       ON CONFLICT (in_reply_to_tweet_id, kind, subject_key) DO NOTHING RETURNING id)
     SELECT EXISTS (SELECT 1 FROM late) AS late, (SELECT id FROM rep) AS receipt_reply_id`,
    [orderId, paymentIntentId, receipt.id, receipt.text],
  );
  return rows[0]!;
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
