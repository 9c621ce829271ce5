import type { Queryable } from '../db/pool';
import { shareLockIfUnlimited } from '../products/stock.repository';

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface RefundRow {
  id: string;
  order_id: string;
  merchant_id: string;
  amount: number;
  currency: string;
  reason: RefundReason | null;
  restock: boolean;
  status: 'pending' | 'succeeded' | 'failed';
  stripe_refund_id: string | null;
  failure_reason: string | null;
  /** 'buyer': a #cancel within the product's cancel window. */
  requested_by: 'merchant' | 'buyer';
  /** The post the buyer's reply answers (their #cancel post); null = the purchase post. */
  reply_to_tweet_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertRefund(
  tx: Queryable,
  r: Pick<RefundRow, 'id' | 'order_id' | 'merchant_id' | 'amount' | 'currency' | 'reason' | 'restock'> & Partial<Pick<RefundRow, 'requested_by' | 'reply_to_tweet_id'>>,
): Promise<RefundRow> {
  const { rows } = await tx.query<RefundRow>(
    `INSERT INTO refunds (id, order_id, merchant_id, amount, currency, reason, restock, requested_by, reply_to_tweet_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [r.id, r.order_id, r.merchant_id, r.amount, r.currency, r.reason, r.restock, r.requested_by ?? 'merchant', r.reply_to_tweet_id ?? null],
  );
  return rows[0]!;
}

/** Money promised back but not settled yet: it counts against what remains refundable. */
export async function pendingRefundTotal(tx: Queryable, orderId: string): Promise<number> {
  const { rows } = await tx.query<{ total: string }>(`SELECT COALESCE(sum(amount), 0) AS total FROM refunds WHERE order_id = $1 AND status = 'pending'`, [orderId]);
  return Number(rows[0]?.total ?? 0);
}

export async function succeededRefundTotal(tx: Queryable, orderId: string): Promise<number> {
  const { rows } = await tx.query<{ total: string }>(`SELECT COALESCE(sum(amount), 0) AS total FROM refunds WHERE order_id = $1 AND status = 'succeeded'`, [orderId]);
  return Number(rows[0]?.total ?? 0);
}

/** Settles a pending refund; undefined if it was settled already (a retry). */
export async function settleRefund(
  tx: Queryable, id: string, outcome: { status: 'succeeded' | 'failed' | 'pending'; stripeRefundId: string | null; failureReason: string | null },
): Promise<RefundRow | undefined> {
  const { rows } = await tx.query<RefundRow>(
    `UPDATE refunds SET status = $2, stripe_refund_id = COALESCE($3, stripe_refund_id), failure_reason = $4, updated_at = clock_timestamp()
     WHERE id = $1 AND status = 'pending' RETURNING *`,
    [id, outcome.status, outcome.stripeRefundId, outcome.failureReason],
  );
  return rows[0];
}

export async function findRefund(db: Queryable, id: string): Promise<RefundRow | undefined> {
  const { rows } = await db.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [id]);
  return rows[0];
}

export async function findRefundByStripeId(db: Queryable, stripeRefundId: string): Promise<RefundRow | undefined> {
  const { rows } = await db.query<RefundRow>('SELECT * FROM refunds WHERE stripe_refund_id = $1', [stripeRefundId]);
  return rows[0];
}

/** An order's refunds, oldest first (an order has few). */
export async function listOrderRefunds(db: Queryable, merchantId: string, orderId: string): Promise<RefundRow[]> {
  const { rows } = await db.query<RefundRow>('SELECT * FROM refunds WHERE order_id = $1 AND merchant_id = $2 ORDER BY created_at, id', [orderId, merchantId]);
  return rows;
}

/** Refunds whose Stripe call never answered: the sweep asks again with the same idempotency key. */
export async function staleOpenRefunds(db: Queryable, olderThanS: number, limit: number): Promise<RefundRow[]> {
  const { rows } = await db.query<RefundRow>(
    `SELECT * FROM refunds WHERE status = 'pending' AND stripe_refund_id IS NULL AND updated_at < clock_timestamp() - make_interval(secs => $1) LIMIT $2`,
    [olderThanS, limit],
  );
  return rows;
}

/**
 * The order's units go back to stock, once: true if they went back to a product that counts its
 * stock (a freed unit then goes to the waitlist). An unlimited product's row is neither written
 * nor write-locked: the order is only marked restocked (what a later switch to limited stock
 * counts from), under a shared lock so that such a switch counts it either way, never half.
 */
export async function restockOrder(tx: Queryable, orderId: string, productId: string): Promise<boolean> {
  if (await shareLockIfUnlimited(tx, productId)) {
    await tx.query('UPDATE orders SET restocked_at = clock_timestamp() WHERE id = $1 AND restocked_at IS NULL', [orderId]);
    return false;
  }
  const { rowCount } = await tx.query(
    `WITH o AS (UPDATE orders SET restocked_at = clock_timestamp() WHERE id = $1 AND restocked_at IS NULL RETURNING product_id, quantity)
     UPDATE products SET sold = GREATEST(sold - o.quantity, 0), updated_at = clock_timestamp() FROM o WHERE products.id = o.product_id`,
    [orderId],
  );
  return rowCount === 1;
}

/** A buyer's cancel refunds still waiting for Stripe, by the #cancel post that asked: what a redelivered post picks up. */
export async function pendingRefundIdsForPost(db: Queryable, tweetId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM refunds WHERE reply_to_tweet_id = $1 AND status = 'pending'`, [tweetId]);
  return rows.map((r) => r.id);
}

/** Whether a buyer's #cancel refund for this order is still waiting for Stripe. */
export async function buyerRefundPending(db: Queryable, orderId: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM refunds WHERE order_id = $1 AND requested_by = 'buyer' AND status = 'pending' LIMIT 1`, [orderId]);
  return rowCount === 1;
}
