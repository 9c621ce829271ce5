import type { Queryable } from '../db/pool';
import type { OrderRow } from '../orders/orders.repository';
import type { ProductRow } from '../products/products.repository';
import { productViews, type ProductView } from '../products/product-view';

export interface EventRow {
  id: number;
  order_id: string;
  merchant_id: string;
  type: string;
  data: Record<string, unknown>;
  payload: Record<string, unknown> | null;
  created_at: Date;
}

export interface EventFilter {
  limit: number;
  /** Outbox row id: the page continues with older rows. */
  startingAfter?: string;
  storedTypes: string[];
  createdGte?: Date;
  createdLt?: Date;
}

const COLUMNS = 'e.id, e.order_id, o.merchant_id, e.type, e.data, e.payload, e.created_at';

/** Newest first by outbox id (keyset); fetches limit + 1 rows so the page knows whether more exist. */
export async function listEvents(db: Queryable, merchantId: string, f: EventFilter): Promise<EventRow[]> {
  const params: unknown[] = [f.limit + 1, merchantId, f.storedTypes];
  const where = ['o.merchant_id = $2', 'e.type = ANY($3)'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.startingAfter) add('e.id < ?', f.startingAfter);
  if (f.createdGte) add('e.created_at >= ?', f.createdGte);
  if (f.createdLt) add('e.created_at < ?', f.createdLt);
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM order_events e JOIN orders o ON o.id = e.order_id
     WHERE ${where.join(' AND ')} ORDER BY e.id DESC LIMIT $1`,
    params,
  );
  return rows;
}

export async function findEvent(db: Queryable, merchantId: string, rowId: string, storedTypes: string[]): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM order_events e JOIN orders o ON o.id = e.order_id
     WHERE e.id = $1 AND o.merchant_id = $2 AND e.type = ANY($3)`,
    [rowId, merchantId, storedTypes],
  );
  return rows[0];
}

export async function ordersByIds(db: Queryable, ids: string[]): Promise<OrderRow[]> {
  if (!ids.length) return [];
  return (await db.query<OrderRow>('SELECT * FROM orders WHERE id = ANY($1)', [ids])).rows;
}

export async function productsByIds(db: Queryable, ids: string[]): Promise<ProductView[]> {
  if (!ids.length) return [];
  return productViews(db, (await db.query<ProductRow>('SELECT * FROM products WHERE id = ANY($1)', [ids])).rows);
}
