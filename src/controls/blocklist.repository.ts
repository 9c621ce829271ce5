import type { Queryable } from '../db/pool';

/** A blocked X account: a merchant's (merchant_id) or the operator's (merchant_id null: every merchant). */
export interface BlockRow {
  id: string;
  merchant_id: string | null;
  x_user_id: string;
  x_username: string | null;
  note: string | null;
  created_at: Date;
}

/** The entry, or the one already there for the same owner and account (inserted: false). */
export async function insertBlock(db: Queryable, b: Omit<BlockRow, 'created_at'>): Promise<{ row: BlockRow; inserted: boolean }> {
  const { rows } = await db.query<BlockRow & { inserted: boolean }>(
    `WITH ins AS (
       INSERT INTO blocked_accounts (id, merchant_id, x_user_id, x_username, note) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (COALESCE(merchant_id, ''), x_user_id) DO NOTHING RETURNING *)
     SELECT *, true AS inserted FROM ins
     UNION ALL
     SELECT *, false FROM blocked_accounts WHERE COALESCE(merchant_id, '') = COALESCE($2, '') AND x_user_id = $3 AND NOT EXISTS (SELECT 1 FROM ins)`,
    [b.id, b.merchant_id, b.x_user_id, b.x_username, b.note],
  );
  const { inserted, ...row } = rows[0]!;
  return { row, inserted };
}

/** A page of one owner's entries, newest first (keyset on created_at, id; limit + 1 rows). */
export async function listBlocks(db: Queryable, merchantId: string | null, page: { limit: number; startingAfter?: string }): Promise<BlockRow[]> {
  const { rows } = await db.query<BlockRow>(
    `SELECT * FROM blocked_accounts WHERE COALESCE(merchant_id, '') = COALESCE($1, '')
       AND ($3::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM blocked_accounts WHERE id = $3))
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [merchantId, page.limit + 1, page.startingAfter ?? null],
  );
  return rows;
}

export async function deleteBlock(db: Queryable, merchantId: string | null, id: string): Promise<boolean> {
  const r = await db.query(`DELETE FROM blocked_accounts WHERE id = $1 AND COALESCE(merchant_id, '') = COALESCE($2, '')`, [id, merchantId]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Which of these authors may not buy from which of these merchants: `merchantId|authorId` pairs, and
 * the authors the operator blocked for everyone. One statement for a whole batch.
 */
export async function blockedAmong(db: Queryable, authorIds: string[], merchantIds: string[]): Promise<{ pairs: Set<string>; everywhere: Set<string> }> {
  const { rows } = await db.query<{ merchant_id: string | null; x_user_id: string }>(
    'SELECT merchant_id, x_user_id FROM blocked_accounts WHERE x_user_id = ANY($1) AND (merchant_id IS NULL OR merchant_id = ANY($2))',
    [authorIds, merchantIds],
  );
  const pairs = new Set<string>();
  const everywhere = new Set<string>();
  for (const r of rows) {
    if (r.merchant_id === null) everywhere.add(r.x_user_id);
    else pairs.add(`${r.merchant_id}|${r.x_user_id}`);
  }
  return { pairs, everywhere };
}
