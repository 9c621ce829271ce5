import type { Queryable } from '../db/pool';
import type { WebhookEvent } from '../payments/payments.port';
import { MONEY_TAKEN, sqlStatuses } from '../orders/lifecycle';

/**
 * All SQL on `stripe_events`: the webhook stores, the worker reads and marks applied, the sweep
 * finds what lost its job.
 *
 * The payload stays Stripe's event as verified (its object, created, account), not our
 * translation of it: it is the record of what Stripe said, for audit, and an event stored before
 * a translation was added or fixed is applied with the current one when its job runs or is
 * replayed. Translating is pure and cheap, so the worker does it when applying.
 */
interface StoredPayload {
  object: WebhookEvent['object'];
  created: number;
  /** Absent on events stored before Connect accounts were kept. */
  account?: string | null;
}

export interface StoredStripeEvent {
  event: WebhookEvent;
  appliedAt: Date | null;
}

/** Stores a verified event once; false when its id was stored before (a redelivery). */
export async function storeStripeEvent(db: Queryable, event: WebhookEvent): Promise<boolean> {
  const payload: StoredPayload = { object: event.object, created: event.created, account: event.account };
  const stored = await db.query(
    `INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [event.id, event.type, payload],
  );
  return stored.rowCount === 1;
}

export async function findStripeEvent(db: Queryable, eventId: string): Promise<StoredStripeEvent | null> {
  const { rows } = await db.query<{ id: string; type: string; payload: StoredPayload; processed_at: Date | null }>(
    'SELECT id, type, payload, processed_at FROM stripe_events WHERE id = $1',
    [eventId],
  );
  const row = rows[0];
  if (!row) return null;
  const { object, created, account } = row.payload;
  return { event: { id: row.id, type: row.type, created, account: account ?? null, object }, appliedAt: row.processed_at };
}

export async function markStripeEventApplied(db: Queryable, eventId: string): Promise<void> {
  await db.query('UPDATE stripe_events SET processed_at = clock_timestamp() WHERE id = $1', [eventId]);
}

/** Stored and not applied yet: its job may have been lost. False for an event never stored. */
export async function isStripeEventUnapplied(db: Queryable, eventId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM stripe_events WHERE id = $1 AND processed_at IS NULL', [eventId]);
  return rows.length === 1;
}

/**
 * Nothing left to do for this delivery: the event was applied already or, when it was never
 * stored, the PaymentIntent it says was paid belongs to an order whose money is taken. One indexed
 * read (the event by id, the order by its intent) and no write. An event stored and not applied is
 * not settled: its job may have been lost.
 */
export async function isStripeEventSettled(db: Queryable, eventId: string, paidIntentId: string | null): Promise<boolean> {
  const { rows } = await db.query<{ settled: boolean }>(
    `SELECT CASE WHEN e.id IS NOT NULL THEN e.processed_at IS NOT NULL
                 ELSE EXISTS (SELECT 1 FROM orders WHERE payment_intent_id = $2 AND status IN (${sqlStatuses(MONEY_TAKEN)})) END AS settled
     FROM (SELECT 1) AS one LEFT JOIN stripe_events e ON e.id = $1`,
    [eventId, paidIntentId],
  );
  return rows[0]?.settled === true;
}

/** Events stored more than `olderThanS` seconds ago and still not applied, oldest first. */
export async function staleStripeEvents(db: Queryable, olderThanS: number, limit: number): Promise<Array<{ id: string; type: string }>> {
  const { rows } = await db.query<{ id: string; type: string }>(
    `SELECT id, type FROM stripe_events WHERE processed_at IS NULL AND received_at < clock_timestamp() - make_interval(secs => $1)
     ORDER BY received_at LIMIT $2`,
    [olderThanS, limit],
  );
  return rows;
}
