import { UnrecoverableError, type Job } from 'bullmq';
import type { Db } from '../src/db/pool';
import type { Logger } from '../src/logger';
import type { ChargingService } from '../src/orders/charging.service';
import type { BuyersService } from '../src/buyers/buyers.service';
import type { PaymentEvent, PaymentsPort } from '../src/payments/payments.port';
import { findStripeEvent, markStripeEventApplied } from '../src/webhooks/stripe-events.repository';
import { applyAccountUpdated } from '../src/merchants/connect.service';
import type { WaitlistDeps } from '../src/waitlist/promotion';
import { createRefundsService } from '../src/refunds/refunds.service';
import { enqueueFollowups, type Followup } from '../src/queue/followups';
import { stripeEventJobSchema } from '../src/queue/payloads';
import { failpoint } from '../src/failpoints';
import type { Queues } from '../src/queue/queues';

export interface StripeEventsDeps {
  db: Db;
  charging: ChargingService;
  buyers: BuyersService;
  payments: PaymentsPort;
  queues: Queues;
  log: Logger;
  onSetupLinked?: (xUserId: string) => void;
  /** A refund settled here that restocks gives the unit to the product's waitlist at once. */
  waitlist?: WaitlistDeps;
}

/**
 * Queue `stripe-events`: the webhook stored the verified event; this applies it. The payments
 * port says what it means (the adapter reads Stripe's format, not this file); services apply it.
 * Every service call is idempotent, so a duplicate delivery or a retry changes nothing.
 */
export function stripeEventsProcessor(deps: StripeEventsDeps) {
  // Its replies are returned as follow-ups and enqueued below, after the event's transaction.
  const refunds = createRefundsService({ db: deps.db, payments: deps.payments, log: deps.log, waitlist: deps.waitlist });

  async function orderPaid(orderId: string, paymentIntentId: string): Promise<Followup[]> {
    const { followups, late } = await deps.charging.markPaid(orderId, paymentIntentId);
    if (late) {
      await deps.payments.refund({ paymentIntentId, idempotencyKey: `${orderId}-late-refund` });
      deps.log.warn({ order_id: orderId, payment_intent: paymentIntentId }, 'payment arrived after the order ended; refunded');
    }
    return followups;
  }

  async function apply(eventId: string, meaning: PaymentEvent): Promise<Followup[]> {
    switch (meaning.kind) {
      case 'order_paid':
        return orderPaid(meaning.orderId, meaning.paymentIntentId);
      case 'card_saved': {
        const { followups } = await deps.buyers.completeSetup({
          customer: meaning.customerId, setupIntentId: meaning.setupIntentId, xUserId: meaning.xUserId, xUsername: meaning.xUsername, email: meaning.email,
        });
        deps.onSetupLinked?.(meaning.xUserId);
        return followups;
      }
      case 'account_updated': {
        const merchant = await applyAccountUpdated(deps.db, meaning.account, meaning.created);
        if (merchant) {
          deps.log.info({ merchant_id: merchant.id, charges_enabled: merchant.charges_enabled, payouts_enabled: merchant.payouts_enabled, currently_due: merchant.requirements.currently_due.length }, 'merchant stripe account updated');
        }
        return [];
      }
      case 'charge_refunded':
        await deps.charging.applyRefund(meaning.paymentIntentId, meaning.amountRefunded);
        return [];
      case 'refund_updated':
        return refunds.applyStripeRefund(meaning.refund);
      case 'ignored':
        // Stored because its type is one we act on, but it lacks what we need (a session or
        // intent made outside the service): marked applied so it is not re-armed forever.
        deps.log.warn({ event_id: eventId, type: meaning.type, reason: meaning.reason, detail: meaning.detail }, 'stripe event changes nothing');
        return [];
      default: {
        const unhandled: never = meaning;
        throw new UnrecoverableError(`no handling for payment event ${(unhandled as PaymentEvent).kind}`);
      }
    }
  }

  return async (job: Job): Promise<{ type: string }> => {
    const parsed = stripeEventJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed stripe-event payload');
    const { eventId } = parsed.data;
    const stored = await findStripeEvent(deps.db, eventId);
    if (!stored) throw new UnrecoverableError(`event ${eventId} not stored`);
    const { event } = stored;
    if (stored.appliedAt) return { type: event.type };
    const followups = await apply(eventId, deps.payments.translateEvent(event));
    failpoint('before_stripe_event_followups');
    await enqueueFollowups(deps.queues, followups);
    await markStripeEventApplied(deps.db, eventId);
    deps.log.info({ event_id: eventId, type: event.type, job_id: job.id }, 'stripe event applied');
    return { type: event.type };
  };
}
