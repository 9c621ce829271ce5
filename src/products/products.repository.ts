import type { Queryable } from '../db/pool';
import { newestFirst, type Condition } from '../db/keyset';
import type { ProductOption } from '../variants/parse';

export interface ProductRow {
  id: string;
  merchant_id: string;
  name: string;
  description: string | null;
  hashtag: string;
  hashtag_key: string;
  /** What the hashtag looks like; no two live products share one. */
  hashtag_skeleton: string | null;
  unit_amount: number;
  currency: string;
  inventory: number | null;
  /** Units held by orders not yet paid, and units paid for (not restocked): kept for limited stock only (see stock.repository). */
  reserved: number;
  sold: number;
  /** A live variant has limited stock (kept in step with the variants, migration 026). */
  limited_variants: boolean;
  max_per_order: number;
  starts_at: Date | null;
  ends_at: Date | null;
  metadata: Record<string, string>;
  shipping: 'required' | 'none';
  /** ISO 3166-1 alpha-2, upper case; null = anywhere. */
  shipping_countries: string[] | null;
  /** Minutes after an order during which its buyer may cancel it with #cancel; 0 = never. */
  cancel_window_minutes: number;
  support_email: string | null;
  /** What buyers choose between; [] = no variants. */
  options: ProductOption[];
  /** Sold out: further posts join a waitlist in post order (false: they are told "sold out"). */
  waitlist: boolean;
  /** Most orders the waitlist holds; null = no limit. */
  waitlist_limit: number | null;
  /** When a linked buyer's order waits for their #confirm reply before it is charged. */
  confirm: 'never' | 'first_purchase' | 'above_amount';
  /** For `above_amount`: orders above this (minor units, the product's currency) wait for #confirm. */
  confirm_above_amount: number | null;
  status: 'active' | 'archived';
  /** Merchant controls (issue 15): paused since (purchase posts recorded, not sold), one reply per buyer, review rules (jsonb). */
  paused_at: Date | null;
  pause_replies: boolean;
  review_rules: unknown;
  created_at: Date;
  updated_at: Date;
}

export type NewProduct = Omit<ProductRow, 'reserved' | 'sold' | 'limited_variants' | 'status' | 'options' | 'created_at' | 'updated_at' | 'paused_at' | 'pause_replies' | 'review_rules'>;

export async function insertProduct(db: Queryable, p: NewProduct): Promise<ProductRow> {
  const { rows } = await db.query<ProductRow>(
    `INSERT INTO products (id, merchant_id, name, description, hashtag, hashtag_key, unit_amount, currency, inventory,
       max_per_order, starts_at, ends_at, metadata, hashtag_skeleton, shipping, shipping_countries, cancel_window_minutes, support_email,
       waitlist, waitlist_limit, confirm, confirm_above_amount)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22) RETURNING *`,
    [p.id, p.merchant_id, p.name, p.description, p.hashtag, p.hashtag_key, p.unit_amount, p.currency, p.inventory,
      p.max_per_order, p.starts_at, p.ends_at, p.metadata, p.hashtag_skeleton, p.shipping, p.shipping_countries,
      p.cancel_window_minutes, p.support_email, p.waitlist, p.waitlist_limit, p.confirm, p.confirm_above_amount],
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

const UPDATABLE = ['name', 'description', 'hashtag', 'hashtag_key', 'hashtag_skeleton', 'unit_amount', 'inventory', 'max_per_order', 'starts_at', 'ends_at', 'metadata', 'shipping', 'shipping_countries',
  'cancel_window_minutes', 'support_email', 'waitlist', 'waitlist_limit', 'confirm', 'confirm_above_amount'] as const;
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

// Any constant works; every process registering hashtags takes the same one.
const HASHTAG_REGISTRY_LOCK = 7_432_004;

/** Serialises hashtag registrations (rare), so caps and the rule budget hold under concurrency. */
export async function lockHashtagRegistry(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [HASHTAG_REGISTRY_LOCK]);
}

export async function countLiveProducts(db: Queryable, merchantId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM products WHERE merchant_id = $1 AND status = 'active'`, [merchantId]);
  return rows[0]!.n;
}

/** Whether a live product other than `exceptId` has this exact key ('taken') or only looks alike. */
export async function hashtagClash(db: Queryable, key: string, skeleton: string, exceptId: string | null): Promise<'taken' | 'look_alike' | null> {
  const { rows } = await db.query<{ same: boolean }>(
    `SELECT hashtag_key = $1 AS same FROM products
     WHERE status = 'active' AND (hashtag_key = $1 OR hashtag_skeleton = $2) AND id IS DISTINCT FROM $3
     ORDER BY 1 DESC LIMIT 1`,
    [key, skeleton, exceptId],
  );
  if (!rows[0]) return null;
  return rows[0].same ? 'taken' : 'look_alike';
}

/**
 * The hashtags of every non-archived product but `exceptId`, ended sales included: a later PATCH
 * of ends_at puts such a hashtag back on the stream without passing through the checks again.
 */
export async function activeHashtags(db: Queryable, exceptId: string | null = null): Promise<string[]> {
  const { rows } = await db.query<{ hashtag: string }>(
    `SELECT hashtag FROM products WHERE status = 'active' AND id IS DISTINCT FROM $1`,
    [exceptId],
  );
  return rows.map((r) => r.hashtag);
}
