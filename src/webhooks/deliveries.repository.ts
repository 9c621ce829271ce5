import type { Queryable } from '../db/pool';
import { newestFirst } from '../db/keyset';

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: Date;
}

const WITH_TYPE = `webhook_deliveries.*, (SELECT payload->>'type' FROM order_events WHERE id = webhook_deliveries.event_id) AS event_type`;

export function listDeliveries(db: Queryable, endpointId: string, page: { limit: number; startingAfter?: string }): Promise<DeliveryRow[]> {
  return newestFirst<DeliveryRow>(db, 'webhook_deliveries', [['endpoint_id = ?', endpointId]], page, WITH_TYPE);
}

/** Due now, also if it was given up: one more attempt (and the retry window's check after it). */
export async function scheduleDeliveryNow(db: Queryable, endpointId: string, id: string): Promise<DeliveryRow | undefined> {
  const { rows } = await db.query<DeliveryRow>(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE id = $1 AND endpoint_id = $2 RETURNING ${WITH_TYPE}`,
    [id, endpointId],
  );
  return rows[0];
}

export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  attempts: number;
  created_at: Date;
  url: string;
  secret_box: string;
  previous_secret_box: string | null;
  previous_secret_expires_at: Date | null;
  payload: Record<string, unknown>;
}

/**
 * Claims due deliveries of enabled endpoints by pushing their next attempt a lease ahead, in a
 * committed statement: several workers never take the same one (SKIP LOCKED), and a worker that
 * dies mid-request leaves it to be taken again when the lease runs out.
 */
export async function claimDueDeliveries(db: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await db.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp() AND NOT w.disabled
       ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED),
     claimed AS (
       UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = clock_timestamp(),
         next_attempt_at = clock_timestamp() + make_interval(secs => $2 / 1000.0), updated_at = clock_timestamp()
       FROM due WHERE d.id = due.id RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, d.created_at)
     SELECT c.id, c.endpoint_id, c.attempts, c.created_at, w.url, w.secret_box, w.previous_secret_box, w.previous_secret_expires_at, e.payload
     FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id JOIN order_events e ON e.id = c.event_id`,
    [limit, leaseMs],
  );
  return rows;
}

export async function recordSuccess(db: Queryable, d: ClaimedDelivery, statusCode: number, latencyMs: number): Promise<void> {
  await db.query(
    `WITH d AS (
       UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL, last_status_code = $2, last_latency_ms = $3,
         last_error = NULL, updated_at = clock_timestamp() WHERE id = $1 RETURNING endpoint_id)
     UPDATE webhook_endpoints SET last_success_at = clock_timestamp() FROM d WHERE webhook_endpoints.id = d.endpoint_id`,
    [d.id, statusCode, latencyMs],
  );
}

/**
 * A failed attempt: retried at `retryAt` (the last one at the end of the retry window), or
 * given up once the window has passed. Giving up disables the endpoint, with the reason, when
 * nothing has reached it since that event: it has then failed for the whole window, not only
 * on one event.
 */
export async function recordFailure(
  db: Queryable,
  d: ClaimedDelivery,
  f: { statusCode: number | null; latencyMs: number | null; error: string; retryAt: Date; windowMs: number; disabledReason: string },
): Promise<{ endpointDisabled: boolean; gaveUp: boolean }> {
  const { rows } = await db.query<{ endpoint_disabled: boolean; gave_up: boolean }>(
    `WITH d AS (
       UPDATE webhook_deliveries SET last_status_code = $2, last_latency_ms = $3, last_error = $4, updated_at = clock_timestamp(),
         status = CASE WHEN clock_timestamp() >= created_at + make_interval(secs => $6 / 1000.0) THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN clock_timestamp() >= created_at + make_interval(secs => $6 / 1000.0) THEN NULL
                                ELSE LEAST($5::timestamptz, created_at + make_interval(secs => $6 / 1000.0)) END
       WHERE id = $1 RETURNING endpoint_id, status, created_at),
     w AS (
       UPDATE webhook_endpoints SET disabled = true, updated_at = clock_timestamp(),
         disabled_reason = $7 || ' (none succeeded since ' || to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '); last error: ' || $4
       FROM d WHERE webhook_endpoints.id = d.endpoint_id AND d.status = 'failed' AND NOT webhook_endpoints.disabled
         AND (webhook_endpoints.last_success_at IS NULL OR webhook_endpoints.last_success_at < d.created_at)
       RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM w) AS endpoint_disabled, COALESCE((SELECT status = 'failed' FROM d), false) AS gave_up`,
    [d.id, f.statusCode, f.latencyMs, f.error.slice(0, 300), f.retryAt, f.windowMs, f.disabledReason],
  );
  return { endpointDisabled: rows[0]!.endpoint_disabled, gaveUp: rows[0]!.gave_up };
}

/**
 * Deliveries that are over (delivered, or given up) and older than the retention: the merchant's
 * delivery log keeps what is recent, the table does not grow for ever. Pending ones are kept
 * whatever their age. Bounded per call; the sweep comes back.
 */
export async function pruneFinishedDeliveries(db: Queryable, olderThanDays: number, limit = 5000): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_deliveries WHERE id IN (
       SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < clock_timestamp() - make_interval(days => $1) LIMIT $2)`,
    [olderThanDays, limit],
  );
  return rowCount ?? 0;
}

export interface UndispatchedEvent {
  id: number;
  order_id: string;
  merchant_id: string;
  type: string;
  data: Record<string, unknown>;
  payload: null;
  created_at: Date;
}

/** The oldest events not fanned out yet, locked for this transaction (other workers skip them). */
export async function lockUndispatched(tx: Queryable, limit: number): Promise<UndispatchedEvent[]> {
  const { rows } = await tx.query<UndispatchedEvent>(
    `SELECT e.id, e.order_id, o.merchant_id, e.type, e.data, e.payload, e.created_at
     FROM order_events e JOIN orders o ON o.id = e.order_id
     WHERE e.dispatched_at IS NULL ORDER BY e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED`,
    [limit],
  );
  return rows;
}

export async function markDispatched(tx: Queryable, ids: number[], payloads: Array<Record<string, unknown> | null>): Promise<void> {
  await tx.query(
    `UPDATE order_events SET dispatched_at = clock_timestamp(), payload = x.payload
     FROM unnest($1::bigint[], $2::jsonb[]) AS x (id, payload) WHERE order_events.id = x.id`,
    [ids, payloads.map((p) => (p ? JSON.stringify(p) : null))],
  );
}

export async function subscribedEndpoints(tx: Queryable, merchantIds: string[]): Promise<Array<{ id: string; merchant_id: string; enabled_events: string[] }>> {
  const { rows } = await tx.query('SELECT id, merchant_id, enabled_events FROM webhook_endpoints WHERE merchant_id = ANY($1) AND NOT disabled', [merchantIds]);
  return rows;
}

export async function insertDeliveries(tx: Queryable, rows: Array<{ id: string; endpointId: string; eventId: number }>): Promise<void> {
  if (!rows.length) return;
  await tx.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, next_attempt_at)
     SELECT id, endpoint_id, event_id, clock_timestamp() FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x (id, endpoint_id, event_id)
     ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
    [rows.map((r) => r.id), rows.map((r) => r.endpointId), rows.map((r) => r.eventId)],
  );
}
