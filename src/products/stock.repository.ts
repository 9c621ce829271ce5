import type { Queryable } from '../db/pool';
import { HOLDS_UNITS, sqlStatuses } from '../orders/lifecycle';
import type { ProductRow } from './products.repository';

/**
 * Limited and unlimited stock. A product with an inventory, or with a variant that has one, keeps
 * count: its orders hold units (`stock_held`) and its row carries `reserved` and `sold`, so every
 * taker of a unit queues on the row's lock. A product with neither has nothing to protect: its
 * orders hold nothing, its counters stand still, and the pipeline never writes (or write-locks)
 * its row, which would otherwise be the one lock every batch and settle of a busy sale queues on.
 *
 * What keeps a merchant's switch to limited stock from racing those takers is the product's stock
 * lock: an advisory lock on the product id, taken shared by each taker of unlimited stock (the
 * matcher) and exclusive by the switch, before the row. A row lock would not do: FOR SHARE
 * lockers pass ahead of a waiting FOR UPDATE, so in a busy sale the switch could wait for ever;
 * advisory locks queue in turn. Rarer takers (a signup, a restock) share-lock the row instead,
 * which the switch's FOR UPDATE also waits for.
 */

// Any constant works; the second key is the product id's hash (a collision only makes two products wait for each other).
const STOCK_LOCK = 7_432_026;

/** The shared stock lock of these products (in id order), until the transaction ends. */
export async function lockUnlimitedStock(tx: Queryable, productIds: string[]): Promise<void> {
  await tx.query(
    'SELECT count(pg_advisory_xact_lock_shared($2, hashtext(id))) FROM (SELECT unnest($1::text[]) AS id ORDER BY 1) AS ids',
    [productIds, STOCK_LOCK],
  );
}

/** SQL: whether the product (`alias`) sells from unlimited stock. */
export const unlimitedStockSql = (alias: string) => `(${alias}.inventory IS NULL AND NOT ${alias}.limited_variants)`;

export function isUnlimitedStock(p: Pick<ProductRow, 'inventory' | 'limited_variants'>): boolean {
  return p.inventory === null && !p.limited_variants;
}

const LOCKS = { read: '', share: 'FOR SHARE', update: 'FOR UPDATE' } as const;

/**
 * Whether the product's stock is unlimited. Locking its row (`share` or `update`), from the row's
 * latest version: what a concurrent switch committed while this waited is seen. `update` (a
 * merchant changing the stock) takes the exclusive stock lock first.
 */
export async function lockStockKind(tx: Queryable, productId: string, mode: keyof typeof LOCKS): Promise<{ unlimited: boolean } | undefined> {
  if (mode === 'update') await tx.query('SELECT pg_advisory_xact_lock($2, hashtext($1))', [productId, STOCK_LOCK]);
  const { rows } = await tx.query<{ unlimited: boolean }>(
    `SELECT ${unlimitedStockSql('products')} AS unlimited FROM products WHERE id = $1 ${LOCKS[mode]}`,
    [productId],
  );
  return rows[0];
}

/**
 * For a rare taker or giver of units (a signup, a restock): true when the product sells from
 * unlimited stock, its row then share-locked (a switch to limited stock waits for this
 * transaction, or this one sees the switch); false for limited stock, left unlocked. Read first
 * without a lock: limited stock goes straight to the caller's write lock, since taking a shared
 * one first would let two takers of the same product deadlock upgrading it.
 */
export async function shareLockIfUnlimited(tx: Queryable, productId: string): Promise<boolean> {
  return Boolean((await lockStockKind(tx, productId, 'read'))?.unlimited && (await lockStockKind(tx, productId, 'share'))?.unlimited);
}

/**
 * A product about to leave unlimited stock (its row locked FOR UPDATE, so no order of it takes or
 * gives units meanwhile): its orders that would hold units hold them from now, and its counters
 * are counted again from its orders, `reserved` the units held and `sold` those paid for and not
 * put back by a refund. `inventory - reserved - sold` is then what is left to sell, as it is for a
 * product that always kept count. Two statements: the second's snapshot sees every order the first
 * waited for (an order being settled at the same moment is counted as it ends up).
 */
export async function holdUnitsOfUnlimitedOrders(tx: Queryable, productId: string): Promise<void> {
  await tx.query(
    `UPDATE orders SET stock_held = true
     WHERE product_id = $1 AND NOT stock_held AND status IN (${sqlStatuses(HOLDS_UNITS)})`,
    [productId],
  );
  await tx.query(
    `UPDATE products SET
       reserved = (SELECT COALESCE(sum(quantity), 0) FROM orders WHERE product_id = $1 AND stock_held),
       sold = (SELECT COALESCE(sum(quantity), 0) FROM orders WHERE product_id = $1 AND NOT stock_held AND paid_at IS NOT NULL AND restocked_at IS NULL),
       updated_at = clock_timestamp()
     WHERE id = $1`,
    [productId],
  );
}
