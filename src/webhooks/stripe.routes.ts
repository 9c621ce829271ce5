import express, { Router } from 'express';
import type { Db } from '../db/pool';
import type { Queue } from 'bullmq';
import { AppError } from '../http/errors';
import { PaymentsRejectedError, type PaymentsPort, type WebhookEvent } from '../payments/payments.port';
import { rearmStripeEvent, stripeEventJobId } from '../queue/rearm';
import { failpoint } from '../failpoints';
import { MONEY_TAKEN, sqlStatuses } from '../orders/lifecycle';

/** The PaymentIntent an event says was paid: its own id, or a payment-mode Checkout Session's. */
function paidIntentOf(event: WebhookEvent): string | null {
  const obj = event.object;
  if (event.type === 'payment_intent.succeeded') return typeof obj.id === 'string' ? obj.id : null;
  if (event.type === 'checkout.session.completed' && obj.mode === 'payment') {
    const pi = obj.payment_intent;
    return typeof pi === 'string' ? pi : pi && typeof pi === 'object' && typeof (pi as { id?: unknown }).id === 'string' ? (pi as { id: string }).id : null;
  }
  return null;
}

/**
 * Every off-session charge also comes back as payment_intent.succeeded, and Stripe delivers some
 * events more than once. An event already applied, or one saying an intent we already settled
 * was paid, has nothing left to do: one indexed read (the event by id, the order by its intent)
 * and no write, no job. Anything else goes through.
 */
async function alreadySettled(db: Db, event: WebhookEvent): Promise<boolean> {
  // An event stored earlier and not applied yet is not settled: its job may have been lost.
  const { rows } = await db.query<{ settled: boolean }>(
    `SELECT CASE WHEN e.id IS NOT NULL THEN e.processed_at IS NOT NULL
                 ELSE EXISTS (SELECT 1 FROM orders WHERE payment_intent_id = $2 AND status IN (${sqlStatuses(MONEY_TAKEN)})) END AS settled
     FROM (SELECT 1) AS one LEFT JOIN stripe_events e ON e.id = $1`,
    [event.id, paidIntentOf(event)],
  );
  return rows[0]?.settled === true;
}

/** The event types the service acts on: what its webhook endpoint subscribes to. */
export const STRIPE_EVENTS_HANDLED = [
  'checkout.session.completed', 'payment_intent.succeeded', 'charge.refunded', 'refund.updated', 'charge.refund.updated',
  // Connect: a merchant's connected account changed (charges or payouts enabled, requirements due).
  'account.updated',
] as const;
const HANDLED = new Set<string>(STRIPE_EVENTS_HANDLED);

/**
 * POST /webhooks/stripe: verify the signature on the raw body, store each event once, enqueue
 * it and answer fast. Nothing from an unverified body is trusted or stored.
 */
export function stripeWebhookRouter(db: Db, payments: PaymentsPort, queue: Queue): Router {
  const r = Router();
  r.post('/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event;
    try {
      event = payments.verifyWebhook(raw, req.get('stripe-signature'));
    } catch (err) {
      if (err instanceof PaymentsRejectedError) {
        req.log?.warn({ code: err.code }, 'stripe webhook refused');
        throw new AppError(400, err.code, 'Invalid webhook', err.code === 'signature_missing' ? 'Missing Stripe-Signature header' : 'The Stripe-Signature does not verify for this body');
      }
      throw err;
    }
    if (!HANDLED.has(event.type) || (await alreadySettled(db, event))) {
      // Verified but nothing to do: acknowledged so Stripe stops retrying, not stored or queued.
      res.json({ received: true });
      return;
    }
    const stored = await db.query(
      `INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
      [event.id, event.type, { object: event.object, created: event.created, account: event.account ?? null }],
    );
    failpoint('after_stripe_event_stored');
    if (stored.rowCount === 1) {
      await queue.add(event.type, { eventId: event.id }, { jobId: stripeEventJobId(event.id) });
      req.log?.info({ event_id: event.id, type: event.type }, 'stripe event received');
    } else {
      // Stripe retries what it saw unanswered: if we stored it and died before queuing it, or its
      // job failed for good, a live job exists before we say 2xx (the id keeps it to one).
      const { rows } = await db.query<{ processed_at: Date | null }>('SELECT processed_at FROM stripe_events WHERE id = $1', [event.id]);
      if (rows[0] && !rows[0].processed_at && (await rearmStripeEvent(queue, event.id, event.type))) {
        req.log?.warn({ event_id: event.id, type: event.type }, 'stripe event delivered again before it was applied; re-armed its job');
      }
    }
    res.json({ received: true });
  });
  return r;
}
