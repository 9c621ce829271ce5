import type { Queryable } from '../db/pool';
import { newestFirst } from '../db/keyset';
import type { AccountRequirements, ConnectedAccount } from '../payments/payments.port';

export interface MerchantRow {
  id: string;
  name: string;
  created_at: Date;
  stripe_account_id: string | null;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  requirements: AccountRequirements;
  account_synced_at: Date | null;
  fee_bps: number | null;
  fee_fixed: Record<string, number> | null;
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

/** Keeps the first account a merchant got: a concurrent first use that lost the race reads the winner's. */
export async function attachStripeAccount(db: Queryable, merchantId: string, accountId: string): Promise<MerchantRow | undefined> {
  const { rows } = await db.query<MerchantRow>(
    `UPDATE merchants SET stripe_account_id = COALESCE(stripe_account_id, $2) WHERE id = $1 RETURNING *`,
    [merchantId, accountId],
  );
  return rows[0];
}

/**
 * What Stripe said about the account at `describedAt`; a description older than the one kept
 * (an event delivered late) changes nothing. Returns the merchant when it was updated.
 */
export async function saveAccountState(db: Queryable, account: ConnectedAccount, describedAt: Date): Promise<MerchantRow | undefined> {
  const { rows } = await db.query<MerchantRow>(
    `UPDATE merchants SET charges_enabled = $2, payouts_enabled = $3, details_submitted = $4, requirements = $5, account_synced_at = $6
     WHERE stripe_account_id = $1 AND (account_synced_at IS NULL OR account_synced_at <= $6) RETURNING *`,
    [account.id, account.chargesEnabled, account.payoutsEnabled, account.detailsSubmitted, JSON.stringify(account.requirements), describedAt],
  );
  return rows[0];
}

export async function setFeeOverride(db: Queryable, merchantId: string, override: { bps: number | null; fixed: Record<string, number> | null }): Promise<MerchantRow | undefined> {
  const { rows } = await db.query<MerchantRow>(
    'UPDATE merchants SET fee_bps = $2, fee_fixed = $3 WHERE id = $1 RETURNING *',
    [merchantId, override.bps, override.fixed === null ? null : JSON.stringify(override.fixed)],
  );
  return rows[0];
}
