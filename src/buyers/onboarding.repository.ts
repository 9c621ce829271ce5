import type { Queryable } from '../db/pool';
import type { OrderStatus } from '../orders/orders.schema';
import { ORDER_ITEM_NAME } from '../variants/variants.repository';

/** A signup link with the order it was sent for, as the link page needs it. */
export interface SignupLink {
  id: string;
  x_user_id: string;
  order_id: string;
  expires_at: Date;
  used_at: Date | null;
  order_status: OrderStatus;
  quantity: number;
  amount: number;
  currency: string;
  product_name: string;
  merchant_name: string;
}

export async function findSignupLink(db: Queryable, tokenId: string): Promise<SignupLink | undefined> {
  const { rows } = await db.query<SignupLink>(
    `SELECT t.id, t.x_user_id, t.order_id, t.expires_at, t.used_at, o.status AS order_status, o.quantity, o.amount,
            o.currency, ${ORDER_ITEM_NAME} AS product_name, m.name AS merchant_name
     FROM signup_tokens t JOIN orders o ON o.id = t.order_id JOIN products p ON p.id = o.product_id JOIN merchants m ON m.id = o.merchant_id
     WHERE t.id = $1`,
    [tokenId],
  );
  return rows[0];
}

/** Marks the link used once; false when it was used (or expired) in the meantime. */
export async function useSignupLink(db: Queryable, tokenId: string): Promise<boolean> {
  const r = await db.query(
    'UPDATE signup_tokens SET used_at = clock_timestamp() WHERE id = $1 AND used_at IS NULL AND expires_at > clock_timestamp()',
    [tokenId],
  );
  return r.rowCount === 1;
}

export interface BuyerOrder {
  id: string;
  status: OrderStatus;
  quantity: number;
  amount: number;
  currency: string;
  product_name: string;
  merchant_name: string;
  failure_code: string | null;
  created_at: Date;
  /** The product's shipping rule, so the pages can ask for an address where it is needed. */
  product_shipping: 'required' | 'none';
  shipping_countries: string[] | null;
  /** Where the buyer reaches the shop about this order (the product's support_email); never posted on X. */
  support_email: string | null;
  paid_at: Date | null;
  /** What the merchant said when it shipped (merchant text: shown escaped, the link only if https). */
  fulfillment_status: 'unfulfilled' | 'fulfilled';
  fulfillment_carrier: string | null;
  fulfillment_tracking_number: string | null;
  fulfillment_tracking_url: string | null;
  fulfilled_at: Date | null;
  product_id: string;
  /** The #confirm deadline of an order that waits for it. */
  action_expires_at: Date | null;
}

const ORDER_COLUMNS = `o.id, o.status, o.quantity, o.amount, o.currency, ${ORDER_ITEM_NAME} AS product_name, m.name AS merchant_name,
  o.failure_code, o.created_at, p.shipping AS product_shipping, p.shipping_countries, o.paid_at, o.fulfillment_status,
  o.fulfillment_carrier, o.fulfillment_tracking_number, o.fulfillment_tracking_url, o.fulfilled_at, p.support_email,
  o.product_id, o.action_expires_at`;

export async function ordersOfBuyer(db: Queryable, xUserId: string, limit = 20): Promise<BuyerOrder[]> {
  const { rows } = await db.query<BuyerOrder>(
    `SELECT ${ORDER_COLUMNS} FROM orders o JOIN products p ON p.id = o.product_id JOIN merchants m ON m.id = o.merchant_id
     WHERE o.buyer_x_user_id = $1 ORDER BY o.created_at DESC LIMIT $2`,
    [xUserId, limit],
  );
  return rows;
}

export interface BuyerRefund {
  order_id: string;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed';
  created_at: Date;
}

/** The refunds of the buyer's listed orders, oldest first. */
export async function refundsOfOrders(db: Queryable, orderIds: string[]): Promise<BuyerRefund[]> {
  if (!orderIds.length) return [];
  const { rows } = await db.query<BuyerRefund>(
    'SELECT order_id, amount, currency, status, created_at FROM refunds WHERE order_id = ANY($1) ORDER BY created_at, id',
    [orderIds],
  );
  return rows.map((r) => ({ ...r, amount: Number(r.amount) }));
}

/** One order, only if it belongs to this buyer: nobody learns about another buyer's orders. */
export async function orderOfBuyer(db: Queryable, xUserId: string, orderId: string): Promise<BuyerOrder | undefined> {
  const { rows } = await db.query<BuyerOrder>(
    `SELECT ${ORDER_COLUMNS} FROM orders o JOIN products p ON p.id = o.product_id JOIN merchants m ON m.id = o.merchant_id
     WHERE o.buyer_x_user_id = $1 AND o.id = $2`,
    [xUserId, orderId],
  );
  return rows[0];
}

/** The currency the buyer's spending limit is most likely meant in: that of their latest order. */
export async function latestCurrency(db: Queryable, xUserId: string): Promise<string | null> {
  const { rows } = await db.query<{ currency: string }>('SELECT currency FROM orders WHERE buyer_x_user_id = $1 ORDER BY created_at DESC LIMIT 1', [xUserId]);
  return rows[0]?.currency ?? null;
}
