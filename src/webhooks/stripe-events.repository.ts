import type { Queryable } from '../db/pool';
import type { WebhookEvent } from '../payments/payments.port';
import { CHARGE_IN_FLIGHT, MONEY_TAKEN, sqlStatuses } from '../orders/lifecycle';

/**
 * All SQL on `stripe_events`: the webhook stores, the worker reads and marks applied, the sweep
 * finds what lost its job, the charge hands back what it cannot settle after all.
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

/**
 * What the webhook did with a delivery (receiveStripeEvent):
 * - `applied_already`: nothing stored, no job. The event was applied before, or (never stored)
 *   the intent it says was paid belongs to an order whose money is taken.
 * - `deferred_to_charge`: stored for the record as already applied (`processed_by`
 *   'charge_in_flight'), no job: a payment for an order whose own off-session call is in flight.
 * - `stored`: stored now, unapplied: its job is to be added.
 * - `unapplied`: stored before and not applied yet: its job may have been lost.
 * - `stored_concurrently`: another delivery of the same event stored it a moment ago.
 */
export type StripeEventReceipt = 'applied_already' | 'deferred_to_charge' | 'stored' | 'unapplied' | 'stored_concurrently';

/** Why a stored event needed no job: our own charge call's answer settles its order. */
const CHARGE_IN_FLIGHT_MARK = 'charge_in_flight';

/**
 * Decides and stores a verified event in one statement. `paid` is what an `order_paid` event
 * names (null for any other). In order:
 * - stored before: applied or not, as `processed_at` says;
 * - the intent belongs to an order whose money is taken (a redelivery, or the webhook of a charge
 *   settled already): nothing to do and nothing stored, as before;
 * - the order is `charging` (CHARGE_IN_FLIGHT): our own off-session call is waiting for Stripe's
 *   synchronous answer, which settles it (grouped with the batch's other answers). If the worker
 *   dies first the sweep re-runs the charge under the same idempotency key, and Stripe replays
 *   the same success, so the answer always comes. Stored as applied, no job. Should the order
 *   leave `charging` unpaid after all (a retry refused, the card removed before it),
 *   handBackDeferredEvents makes the event unapplied again and the job applies it (a late
 *   payment: refunded);
 * - anything else is stored for its job: `requires_action` (a Checkout payment nobody else
 *   settles), `reserved`, an order that ended (expired, failed, canceled: the job refunds a late
 *   payment), an unknown order, and every event that is not a payment.
 * The order row is read `FOR SHARE`: an order being moved out of `charging` (it holds the row)
 * is seen after that move (paid by the charge: nothing stored, as above; failed: stored for the
 * job), and one moved after this statement finds this event stored. No lock is taken when the
 * event names no order.
 */
export async function receiveStripeEvent(db: Queryable, event: WebhookEvent, paid: { orderId: string; paymentIntentId: string } | null): Promise<StripeEventReceipt> {
  const payload: StoredPayload = { object: event.object, created: event.created, account: event.account };
  const { rows } = await db.query<{ decision: 'applied_already' | 'deferred_to_charge' | 'stored' | 'unapplied'; inserted: boolean }>(
    `WITH existing AS (SELECT processed_at FROM stripe_events WHERE id = $1),
     ord AS (SELECT status, payment_intent_id FROM orders WHERE id = $4::text FOR SHARE),
     decided AS (
       SELECT CASE
         WHEN EXISTS (SELECT 1 FROM existing) THEN
           CASE WHEN (SELECT processed_at FROM existing) IS NOT NULL THEN 'applied_already' ELSE 'unapplied' END
         WHEN EXISTS (SELECT 1 FROM orders WHERE payment_intent_id = $5::text AND status IN (${sqlStatuses(MONEY_TAKEN)})) THEN 'applied_already'
         -- Settled by the charge while this statement waited for the order's lock.
         WHEN EXISTS (SELECT 1 FROM ord WHERE payment_intent_id = $5::text AND status IN (${sqlStatuses(MONEY_TAKEN)})) THEN 'applied_already'
         WHEN EXISTS (SELECT 1 FROM ord WHERE status IN (${sqlStatuses(CHARGE_IN_FLIGHT)})) THEN 'deferred_to_charge'
         ELSE 'stored' END AS decision),
     ins AS (
       INSERT INTO stripe_events (id, type, payload, processed_at, processed_by)
       SELECT $1, $2, $3,
         CASE WHEN decision = 'deferred_to_charge' THEN clock_timestamp() END,
         CASE WHEN decision = 'deferred_to_charge' THEN $6::text END
       FROM decided WHERE decision IN ('stored', 'deferred_to_charge')
       ON CONFLICT (id) DO NOTHING RETURNING id)
     SELECT decision, EXISTS (SELECT 1 FROM ins) AS inserted FROM decided`,
    [event.id, event.type, payload, paid?.orderId ?? null, paid?.paymentIntentId ?? null, CHARGE_IN_FLIGHT_MARK],
  );
  const { decision, inserted } = rows[0]!;
  if ((decision === 'stored' || decision === 'deferred_to_charge') && !inserted) return 'stored_concurrently';
  return decision;
}

/**
 * An order left `charging` without being paid: payments reported for it while its call was in
 * flight become unapplied again (its job, given by the sweep, applies them: a late payment is
 * refunded). Inside the transaction that moved the order. Returns their ids.
 */
export async function handBackDeferredEvents(tx: Queryable, orderId: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE stripe_events SET processed_at = NULL, processed_by = NULL
     WHERE processed_by = $2 AND payload #>> '{object,metadata,order_id}' = $1 RETURNING id`,
    [orderId, CHARGE_IN_FLIGHT_MARK],
  );
  return rows.map((r) => r.id);
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

/** Events stored more than `olderThanS` seconds ago and still not applied, oldest first. */
export async function staleStripeEvents(db: Queryable, olderThanS: number, limit: number): Promise<Array<{ id: string; type: string }>> {
  const { rows } = await db.query<{ id: string; type: string }>(
    `SELECT id, type FROM stripe_events WHERE processed_at IS NULL AND received_at < clock_timestamp() - make_interval(secs => $1)
     ORDER BY received_at LIMIT $2`,
    [olderThanS, limit],
  );
  return rows;
}
