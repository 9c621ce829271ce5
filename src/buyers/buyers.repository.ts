import type { Queryable } from '../db/pool';
import { newId } from '../ids';
import type { ShippingAddress } from '../shipping/address';

export interface Buyer {
  id: string;
  x_user_id: string;
  x_username: string | null;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  daily_limit_amount: number | null;
  /** Every order waits for the buyer's #confirm reply before it is charged. */
  always_confirm: boolean;
  /** The buyer's shipping address (also on their Stripe customer); null until given. */
  shipping: ShippingAddress | null;
  /** The email Checkout collected (Stripe sends receipts there); never logged nor shown in public. */
  email: string | null;
  linked_at: Date | null;
  created_at: Date;
}

export async function findBuyerByXUserId(db: Queryable, xUserId: string): Promise<Buyer | undefined> {
  const { rows } = await db.query<Buyer>('SELECT * FROM buyers WHERE x_user_id = $1', [xUserId]);
  return rows[0];
}

/** One row per X user id, created on first contact; the Stripe customer is kept across unlinking. */
export async function ensureBuyer(db: Queryable, xUserId: string, xUsername: string | null): Promise<Buyer> {
  const { rows } = await db.query<Buyer>(
    `INSERT INTO buyers (id, x_user_id, x_username) VALUES ($1, $2, $3)
     ON CONFLICT (x_user_id) DO UPDATE SET x_username = COALESCE(EXCLUDED.x_username, buyers.x_username), updated_at = clock_timestamp()
     RETURNING *`,
    [newId('buy'), xUserId, xUsername],
  );
  return rows[0]!;
}

export async function setCustomer(db: Queryable, buyerId: string, customerId: string): Promise<void> {
  await db.query('UPDATE buyers SET stripe_customer_id = COALESCE(stripe_customer_id, $2), updated_at = clock_timestamp() WHERE id = $1', [buyerId, customerId]);
}

export async function linkCard(
  db: Queryable,
  buyerId: string,
  card: { customerId: string; paymentMethodId: string; brand: string | null; last4: string | null },
): Promise<Buyer> {
  const { rows } = await db.query<Buyer>(
    `UPDATE buyers SET stripe_customer_id = $2, payment_method_id = $3, card_brand = $4, card_last4 = $5,
       linked_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1 RETURNING *`,
    [buyerId, card.customerId, card.paymentMethodId, card.brand, card.last4],
  );
  return rows[0]!;
}

export async function unlinkCard(db: Queryable, buyerId: string): Promise<void> {
  await db.query(
    `UPDATE buyers SET payment_method_id = NULL, card_brand = NULL, card_last4 = NULL, linked_at = NULL, updated_at = clock_timestamp() WHERE id = $1`,
    [buyerId],
  );
}

export async function setDailyLimit(db: Queryable, buyerId: string, amount: number | null): Promise<void> {
  await db.query('UPDATE buyers SET daily_limit_amount = $2, updated_at = clock_timestamp() WHERE id = $1', [buyerId, amount]);
}

export async function setAlwaysConfirm(db: Queryable, buyerId: string, on: boolean): Promise<void> {
  await db.query('UPDATE buyers SET always_confirm = $2, updated_at = clock_timestamp() WHERE id = $1', [buyerId, on]);
}

export async function setShipping(db: Queryable, buyerId: string, address: ShippingAddress): Promise<void> {
  await db.query('UPDATE buyers SET shipping = $2, updated_at = clock_timestamp() WHERE id = $1', [buyerId, JSON.stringify(address)]);
}

export async function setEmail(db: Queryable, buyerId: string, email: string): Promise<void> {
  await db.query('UPDATE buyers SET email = $2, updated_at = clock_timestamp() WHERE id = $1', [buyerId, email]);
}
