import type { Queryable } from '../db/pool';
import type { OrderRow } from './orders.repository';
import { CHARGE_PENDING, MONEY_TAKEN, sourcesOf, sqlStatuses } from './lifecycle';
import { ORDER_ITEM_NAME } from '../variants/variants.repository';

/**
 * Write-side SQL of the money moments of the purchase pipeline: the charge start (`reserved` →
 * `charging`) and the settle (`paid`, or a late payment recorded). Each is one statement, run inside
 * the caller's transaction if it has one. The rest of an order's writes are in orders.store.
 */

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
 * Stripe says the money arrived (one order: the webhook's job): markOrdersPaid for a batch of one,
 * so both paths write the same order, stock, event and receipt. Paid after we gave up on the order
 * (expired, failed) is recorded as a late payment and changes nothing else.
 */
export async function markOrderPaid(db: Queryable, orderId: string, paymentIntentId: string, receipt: { id: string; text: string }): Promise<MarkPaidResult> {
  const [r] = await markOrdersPaid(db, [{ orderId, paymentIntentId, receipt }]);
  return { late: r?.late ?? false, receipt_reply_id: r?.receipt_reply_id ?? null };
}
