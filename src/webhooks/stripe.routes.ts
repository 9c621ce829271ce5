import express, { Router } from 'express';
import type { Db } from '../db/pool';
import type { Queue } from 'bullmq';
import { AppError } from '../http/errors';
import { PaymentsRejectedError, type PaymentsPort } from '../payments/payments.port';
import { rearmStripeEvent } from '../queue/rearm';
import { addJob, stripeEventJob } from '../queue/registry';
import { failpoint } from '../failpoints';
import { isStripeEventUnapplied, receiveStripeEvent } from './stripe-events.repository';

/** The event types the service acts on: what its webhook endpoint subscribes to (the adapter's translation table). */
export { STRIPE_EVENTS_HANDLED } from '../payments/stripe-event-translation';

/**
 * POST /webhooks/stripe: verify the signature on the raw body, store each event once, enqueue
 * it when it needs a job and answer fast. Nothing from an unverified body is trusted or stored.
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
    // Every off-session charge also comes back as payment_intent.succeeded, and Stripe delivers some
    // events more than once. One statement decides and stores (receiveStripeEvent says every case):
    // an event applied already, or a payment for an intent we settled, is neither stored nor queued;
    // a payment for an order whose own charge call is in flight is stored as dealt with, and its
    // job is not needed: that call's answer settles the order. An event of a type we act on that
    // lacks what we need is still stored (the record of what Stripe sent); its job logs why it
    // changed nothing.
    const meaning = payments.translateEvent(event);
    if (meaning.kind === 'ignored' && meaning.reason === 'unhandled_type') {
      // Verified but nothing to do: acknowledged so Stripe stops retrying, not stored or queued.
      res.json({ received: true });
      return;
    }
    const paid = meaning.kind === 'order_paid' ? { orderId: meaning.orderId, paymentIntentId: meaning.paymentIntentId } : null;
    const receipt = await receiveStripeEvent(db, event, paid);
    if (receipt === 'applied_already' || receipt === 'deferred_to_charge') {
      if (receipt === 'deferred_to_charge') req.log?.debug({ event_id: event.id, order_id: paid?.orderId }, 'stripe payment for an order mid-charge; its charge settles it');
      res.json({ received: true });
      return;
    }
    failpoint('after_stripe_event_stored');
    if (receipt === 'stored') {
      await addJob(queue, stripeEventJob, { eventId: event.id, type: event.type });
      req.log?.info({ event_id: event.id, type: event.type }, 'stripe event received');
    } else if ((receipt === 'unapplied' || (await isStripeEventUnapplied(db, event.id))) && (await rearmStripeEvent(queue, event.id, event.type))) {
      // Stripe retries what it saw unanswered: if we stored it and died before queuing it, or its
      // job failed for good, a live job exists before we say 2xx (the id keeps it to one).
      req.log?.warn({ event_id: event.id, type: event.type }, 'stripe event delivered again before it was applied; re-armed its job');
    }
    res.json({ received: true });
  });
  return r;
}
