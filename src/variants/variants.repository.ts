import type { Queryable } from '../db/pool';

export interface VariantRow {
  id: string;
  product_id: string;
  merchant_id: string;
  options: Record<string, string>;
  sku: string | null;
  /** null = the product's price. */
  unit_amount: number | null;
  /** null = unlimited. */
  inventory: number | null;
  position: number;
  live: boolean;
  created_at: Date;
  updated_at: Date;
}

/** A variant with the units its orders hold or sold (not restocked). */
export interface VariantStock extends VariantRow { committed: number }

// What a variant's orders take from its stock: held, or paid and not put back by a refund. The
// same moments move the product's reserved and sold counters (orders.store, charges.store, refunds.repository).
const COMMITTED = `COALESCE((SELECT sum(o.quantity) FROM orders o
   WHERE o.variant_id = v.id AND (o.stock_held OR (o.paid_at IS NOT NULL AND o.restocked_at IS NULL))), 0)::int`;

/** The live variants of these products, in the merchant's order, with their stock. */
export async function liveVariants(db: Queryable, productIds: string[]): Promise<VariantStock[]> {
  if (!productIds.length) return [];
  const { rows } = await db.query<VariantStock>(
    `SELECT v.*, ${COMMITTED} AS committed FROM product_variants v WHERE v.product_id = ANY($1) AND v.live ORDER BY v.product_id, v.position`,
    [productIds],
  );
  return rows;
}

/**
 * Units left per variant (null = unlimited). Read after the products' row locks are taken: every
 * order that takes stock takes that lock first, so what this statement sees cannot shrink before
 * the transaction ends.
 */
export async function variantsAvailable(tx: Queryable, variantIds: string[]): Promise<Map<string, number | null>> {
  if (!variantIds.length) return new Map();
  const { rows } = await tx.query<{ id: string; available: number | null }>(
    // An unlimited variant's orders are not counted (CASE: the sum is not computed for it).
    `SELECT v.id, CASE WHEN v.inventory IS NULL THEN NULL ELSE v.inventory - ${COMMITTED} END AS available FROM product_variants v WHERE v.id = ANY($1)`,
    [variantIds],
  );
  return new Map(rows.map((r) => [r.id, r.available]));
}

export async function lockProductRow(tx: Queryable, productId: string): Promise<void> {
  await tx.query('SELECT 1 FROM products WHERE id = $1 FOR UPDATE', [productId]);
}

export async function retireVariants(tx: Queryable, ids: string[]): Promise<void> {
  if (ids.length) await tx.query('UPDATE product_variants SET live = false, updated_at = clock_timestamp() WHERE id = ANY($1)', [ids]);
}

// Any constant works; taken with the merchant's id so merchants never wait for each other.
const SKU_LOCK = 7_432_023;

/** Serialises a merchant's variant edits (rare), so two at once cannot both take one SKU. */
export async function lockMerchantSkus(tx: Queryable, merchantId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SKU_LOCK, merchantId]);
}

/** SKUs among these that a live variant of another active product of the merchant uses. */
export async function skusInUse(tx: Queryable, merchantId: string, skus: string[], exceptProductId: string): Promise<string[]> {
  if (!skus.length) return [];
  const { rows } = await tx.query<{ sku: string }>(
    `SELECT DISTINCT v.sku FROM product_variants v JOIN products p ON p.id = v.product_id
     WHERE v.merchant_id = $1 AND v.live AND p.status = 'active' AND v.sku = ANY($2) AND v.product_id <> $3`,
    [merchantId, skus, exceptProductId],
  );
  return rows.map((r) => r.sku);
}

export interface VariantWrite {
  id: string;
  options: Record<string, string>;
  sku: string | null;
  unit_amount: number | null;
  inventory: number | null;
  position: number;
}

/** Inserts new variants and updates kept ones (by id), in one statement. */
export async function upsertVariants(tx: Queryable, productId: string, merchantId: string, rows: VariantWrite[]): Promise<void> {
  if (!rows.length) return;
  await tx.query(
    `INSERT INTO product_variants (id, product_id, merchant_id, options, sku, unit_amount, inventory, position)
     SELECT x.id, $1, $2, x.options, x.sku, x.unit_amount, x.inventory, x.position
     FROM json_to_recordset($3::json) AS x (id text, options jsonb, sku text, unit_amount bigint, inventory integer, position integer)
     ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, unit_amount = excluded.unit_amount, inventory = excluded.inventory,
       position = excluded.position, updated_at = clock_timestamp()`,
    [productId, merchantId, JSON.stringify(rows)],
  );
}

/**
 * The product's inventory follows its variants': their sum, or null (unlimited) if one is unlimited;
 * and whether one of them is limited (then the product keeps count of its stock: stock.repository).
 */
export async function syncProductInventory(tx: Queryable, productId: string): Promise<void> {
  await tx.query(
    `UPDATE products SET inventory = CASE WHEN s.variants THEN s.total ELSE products.inventory END,
       limited_variants = COALESCE(s.limited, false), updated_at = clock_timestamp()
     FROM (SELECT count(*) > 0 AS variants, CASE WHEN bool_or(inventory IS NULL) THEN NULL ELSE sum(inventory)::int END AS total,
             bool_or(inventory IS NOT NULL) AS limited
           FROM product_variants WHERE product_id = $1 AND live) AS s
     WHERE products.id = $1`,
    [productId],
  );
}

export async function setProductOptions(tx: Queryable, productId: string, options: unknown): Promise<void> {
  await tx.query('UPDATE products SET options = $2::jsonb, updated_at = clock_timestamp() WHERE id = $1', [productId, JSON.stringify(options)]);
}

/**
 * SQL for the item an order is for, as buyers read it: the product's name, with the variant
 * bought ("Tee (M / black)"). Needs `o` (orders) and `p` (products) in scope.
 */
export const ORDER_ITEM_NAME = `p.name || COALESCE(' (' || (o.variant->>'label') || ')', '')`;
