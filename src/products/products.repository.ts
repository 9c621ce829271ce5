import type { Queryable } from '../db/pool';
import { newestFirst, type Condition } from '../db/keyset';

export interface ProductRow {
  id: string;
  merchant_id: string;
  name: string;
  description: string | null;
  hashtag: string;
  hashtag_key: string;
  unit_amount: number;
  currency: string;
  inventory: number | null;
  reserved: number;
  sold: number;
  max_per_order: number;
  starts_at: Date | null;
  ends_at: Date | null;
  metadata: Record<string, string>;
  status: 'active' | 'archived';
  created_at: Date;
  updated_at: Date;
}

export type NewProduct = Omit<ProductRow, 'reserved' | 'sold' | 'status' | 'created_at' | 'updated_at'>;

export async function insertProduct(db: Queryable, p: NewProduct): Promise<ProductRow> {
  const { rows } = await db.query<ProductRow>(
    `INSERT INTO products (id, merchant_id, name, description, hashtag, hashtag_key, unit_amount, currency, inventory,
       max_per_order, starts_at, ends_at, metadata)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING *`,
    [p.id, p.merchant_id, p.name, p.description, p.hashtag, p.hashtag_key, p.unit_amount, p.currency, p.inventory,
      p.max_per_order, p.starts_at, p.ends_at, p.metadata],
  );
  return rows[0]!;
}

export async function findProduct(db: Queryable, merchantId: string, id: string): Promise<ProductRow | undefined> {
  const { rows } = await db.query<ProductRow>('SELECT * FROM products WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
  return rows[0];
}

export async function listProducts(
  db: Queryable,
  merchantId: string,
  opts: { limit: number; startingAfter?: string; status?: string },
): Promise<ProductRow[]> {
  const conditions: Condition[] = [['merchant_id = ?', merchantId]];
  if (opts.status) conditions.push(['status = ?', opts.status]);
  return newestFirst<ProductRow>(db, 'products', conditions, opts);
}

const UPDATABLE = ['name', 'description', 'hashtag', 'hashtag_key', 'unit_amount', 'inventory', 'max_per_order', 'starts_at', 'ends_at', 'metadata'] as const;
export type ProductPatch = Partial<Pick<ProductRow, (typeof UPDATABLE)[number]>>;

/** Only active products change; the row lock serialises against reservations. */
export async function updateProduct(db: Queryable, merchantId: string, id: string, patch: ProductPatch): Promise<ProductRow | undefined> {
  const sets: string[] = [];
  const params: unknown[] = [id, merchantId];
  for (const col of UPDATABLE) {
    if (patch[col] === undefined) continue;
    params.push(patch[col]);
    sets.push(`${col} = $${params.length}`);
  }
  sets.push('updated_at = clock_timestamp()');
  const { rows } = await db.query<ProductRow>(
    `UPDATE products SET ${sets.join(', ')} WHERE id = $1 AND merchant_id = $2 AND status = 'active' RETURNING *`,
    params,
  );
  return rows[0];
}

export async function archiveProduct(db: Queryable, merchantId: string, id: string): Promise<ProductRow | undefined> {
  const { rows } = await db.query<ProductRow>(
    `UPDATE products SET status = 'archived', archived_at = COALESCE(archived_at, clock_timestamp()), updated_at = clock_timestamp()
     WHERE id = $1 AND merchant_id = $2 RETURNING *`,
    [id, merchantId],
  );
  return rows[0];
}

/** The live hashtags across all merchants: what the ingest's stream rules follow. */
export async function liveHashtags(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ hashtag: string }>(
    `SELECT hashtag FROM products WHERE status = 'active' AND (ends_at IS NULL OR ends_at > now()) ORDER BY hashtag_key`,
  );
  return rows.map((r) => r.hashtag);
}
