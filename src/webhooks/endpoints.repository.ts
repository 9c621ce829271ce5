import type { Queryable } from '../db/pool';
import { newestFirst } from '../db/keyset';

export interface EndpointRow {
  id: string;
  merchant_id: string;
  url: string;
  description: string | null;
  enabled_events: string[];
  secret_box: string;
  previous_secret_box: string | null;
  previous_secret_expires_at: Date | null;
  disabled: boolean;
  disabled_reason: string | null;
  last_success_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertEndpoint(db: Queryable, e: Pick<EndpointRow, 'id' | 'merchant_id' | 'url' | 'description' | 'enabled_events' | 'secret_box'>): Promise<EndpointRow> {
  const { rows } = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, merchant_id, url, description, enabled_events, secret_box)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [e.id, e.merchant_id, e.url, e.description, e.enabled_events, e.secret_box],
  );
  return rows[0]!;
}

export async function countEndpoints(db: Queryable, merchantId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_endpoints WHERE merchant_id = $1', [merchantId]);
  return rows[0]!.n;
}

export async function findEndpoint(db: Queryable, merchantId: string, id: string): Promise<EndpointRow | undefined> {
  const { rows } = await db.query<EndpointRow>('SELECT * FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
  return rows[0];
}

export function listEndpoints(db: Queryable, merchantId: string, page: { limit: number; startingAfter?: string }): Promise<EndpointRow[]> {
  return newestFirst<EndpointRow>(db, 'webhook_endpoints', [['merchant_id = ?', merchantId]], page);
}

export type EndpointPatch = Partial<Pick<EndpointRow, 'url' | 'description' | 'enabled_events' | 'disabled' | 'disabled_reason' |
  'secret_box' | 'previous_secret_box' | 'previous_secret_expires_at'>>;

export async function updateEndpoint(db: Queryable, merchantId: string, id: string, patch: EndpointPatch): Promise<EndpointRow | undefined> {
  const cols = Object.keys(patch) as Array<keyof EndpointPatch>;
  const sets = cols.map((c, i) => `${c} = $${i + 3}`);
  const { rows } = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET ${[...sets, 'updated_at = clock_timestamp()'].join(', ')} WHERE id = $1 AND merchant_id = $2 RETURNING *`,
    [id, merchantId, ...cols.map((c) => patch[c])],
  );
  return rows[0];
}

export async function deleteEndpoint(db: Queryable, merchantId: string, id: string): Promise<boolean> {
  const r = await db.query('DELETE FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
  return r.rowCount === 1;
}
