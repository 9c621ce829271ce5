import type { Queryable } from '../db/pool';
import { newestFirst, type Condition } from '../db/keyset';
import type { OrderStatus } from './lifecycle';
import type { ShippingAddress } from '../shipping/address';
import type { OrderVariant } from '../variants/variants.schema';

export interface OrderRow {
  id: string;
  merchant_id: string;
  product_id: string;
  /** The variant bought and what it was then; null for a product without variants. */
  variant_id: string | null;
  variant: OrderVariant | null;
  tweet_id: string;
  buyer_x_user_id: string;
  buyer_x_username: string | null;
  buyer_id: string | null;
  quantity: number;
  amount: number;
  currency: string;
  status: OrderStatus;
  stock_held: boolean;
  reply_status: 'none' | 'pending' | 'posted' | 'refused' | 'failed' | 'aggregated';
  failure_code: string | null;
  failure_message: string | null;
  payment_intent_id: string | null;
  checkout_session_id: string | null;
  amount_refunded: number;
  /** The address the order ships to, taken at its first charge; null for products that do not ship. */
  shipping: ShippingAddress | null;
  action_expires_at: Date | null;
  paid_at: Date | null;
  fulfillment_status: 'unfulfilled' | 'fulfilled';
  fulfillment_carrier: string | null;
  fulfillment_tracking_number: string | null;
  fulfillment_tracking_url: string | null;
  fulfilled_at: Date | null;
  /** Why a review rule held the order, and until when (issue 15); null if it never was. */
  review_reasons?: string[] | null;
  review_expires_at?: Date | null;
  created_at: Date;
  updated_at: Date;
  /** The merchant's connected account the charge paid (a destination charge); null when it stayed on the platform. */
  transfer_destination: string | null;
  /** The platform's fee taken from a destination charge, in minor units. */
  application_fee_amount: number | null;
  transfer_id: string | null;
}

export interface OrderFilter {
  limit: number;
  startingAfter?: string;
  status?: OrderStatus;
  productId?: string;
  variantId?: string;
  createdGte?: Date;
  createdLt?: Date;
}

export async function findOrder(db: Queryable, merchantId: string, id: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
  return rows[0];
}

export async function listOrders(db: Queryable, merchantId: string, f: OrderFilter): Promise<OrderRow[]> {
  const conditions: Condition[] = [['merchant_id = ?', merchantId]];
  if (f.status) conditions.push(['status = ?', f.status]);
  if (f.productId) conditions.push(['product_id = ?', f.productId]);
  if (f.variantId) conditions.push(['variant_id = ?', f.variantId]);
  if (f.createdGte) conditions.push(['created_at >= ?', f.createdGte]);
  if (f.createdLt) conditions.push(['created_at < ?', f.createdLt]);
  return newestFirst<OrderRow>(db, 'orders', conditions, f);
}
