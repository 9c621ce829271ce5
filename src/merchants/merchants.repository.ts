import type { Queryable } from '../db/pool';
import { newestFirst } from '../db/keyset';

export interface MerchantRow {
  id: string;
  name: string;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  merchant_id: string;
  hint: string;
  mode: 'test' | 'live';
  created_at: Date;
  revoked_at: Date | null;
}

export async function insertMerchant(db: Queryable, id: string, name: string): Promise<MerchantRow> {
  const { rows } = await db.query<MerchantRow>('INSERT INTO merchants (id, name) VALUES ($1, $2) RETURNING *', [id, name]);
  return rows[0]!;
}

export async function findMerchant(db: Queryable, id: string): Promise<MerchantRow | undefined> {
  const { rows } = await db.query<MerchantRow>('SELECT * FROM merchants WHERE id = $1', [id]);
  return rows[0];
}

export async function listMerchants(db: Queryable, limit: number, startingAfter?: string): Promise<MerchantRow[]> {
  return newestFirst<MerchantRow>(db, 'merchants', [], { limit, startingAfter });
}

export async function insertApiKey(
  db: Queryable,
  key: { id: string; merchantId: string; hash: Buffer; hint: string; mode: 'test' | 'live' },
): Promise<ApiKeyRow> {
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, merchant_id, key_hash, hint, mode) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, merchant_id, hint, mode, created_at, revoked_at`,
    [key.id, key.merchantId, key.hash, key.hint, key.mode],
  );
  return rows[0]!;
}

export async function listApiKeys(db: Queryable, merchantId: string, limit: number, startingAfter?: string): Promise<ApiKeyRow[]> {
  return newestFirst<ApiKeyRow>(db, 'api_keys', [['merchant_id = ?', merchantId]], { limit, startingAfter }, 'id, merchant_id, hint, mode, created_at, revoked_at');
}

export async function revokeApiKey(db: Queryable, merchantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, clock_timestamp())
     WHERE id = $1 AND merchant_id = $2 RETURNING id, merchant_id, hint, mode, created_at, revoked_at`,
    [keyId, merchantId],
  );
  return rows[0];
}
