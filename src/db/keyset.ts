import type { Queryable } from './pool';

/** A WHERE condition with one `?` placeholder and its value. */
export type Condition = [sql: string, value: unknown];

/**
 * One page of a table, newest first, after the row `startingAfter` (keyset pagination on
 * created_at, id). Fetches limit + 1 rows: the extra one only says whether another page exists.
 */
export async function newestFirst<R>(
  db: Queryable,
  table: 'merchants' | 'api_keys' | 'products' | 'orders' | 'webhook_endpoints' | 'webhook_deliveries',
  conditions: Condition[],
  page: { limit: number; startingAfter?: string },
  columns = '*',
): Promise<R[]> {
  const params: unknown[] = [page.limit + 1];
  const where: string[] = [];
  for (const [sql, value] of conditions) {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  }
  if (page.startingAfter) {
    params.push(page.startingAfter);
    where.push(`(created_at, id) < (SELECT created_at, id FROM ${table} WHERE id = $${params.length})`);
  }
  const { rows } = await db.query(
    `SELECT ${columns} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
  return rows as R[];
}
