import { UnrecoverableError, type Job } from 'bullmq';
import type { Db } from '../src/db/pool';
import type { Logger } from '../src/logger';
import type { ChargingService } from '../src/orders/charging.service';
import type { BuyersService } from '../src/buyers/buyers.service';
import type { PaymentsPort } from '../src/payments/payments.port';
import { accountFromEvent, refundFromEvent } from '../src/payments/stripe.adapter';
import { applyAccountUpdated } from '../src/merchants/connect.service';
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
}

type Obj = Record<string, unknown> & { metadata?: Record<string, string> };
const str = (v: unknown): string | null => (typeof v === 'string' ? v : v && typeof v === 'object' && 'id' in v ? String((v as { id: unknown }).id) : null);

/**
 * Queue `stripe-events`: the webhook stored the verified event; this applies it. Every handler
 * is idempotent, so a duplicate delivery or a retry changes nothing.
 */
export function stripeEventsProcessor(d: StripeEventsDeps) {
  // Its replies are returned as follow-ups and enqueued below, after the event's transaction.
  const refunds = createRefundsService({ db: d.db, payments: d.payments, log: d.log });

  async function orderPaid(orderId: string, paymentIntentId: string): Promise<Followup[]> {
    const { followups, late } = await d.charging.markPaid(orderId, paymentIntentId);
    if (late) {
      await d.payments.refund({ paymentIntentId, idempotencyKey: `${orderId}-late-refund` });
      d.log.warn({ order_id: orderId, payment_intent: paymentIntentId }, 'payment arrived after the order ended; refunded');
    }
    return followups;
  }

  async function apply(type: string, obj: Obj, created: number): Promise<Followup[]> {
    const md = obj.metadata ?? {};
    switch (type) {
      case 'checkout.session.completed': {
        if (obj.mode === 'payment' && md.order_id && str(obj.payment_intent)) return orderPaid(md.order_id, str(obj.payment_intent)!);
        if (obj.mode === 'setup' && md.x_user_id && str(obj.setup_intent) && str(obj.customer)) {
          const { followups } = await d.buyers.completeSetup({
            customer: str(obj.customer)!, setupIntentId: str(obj.setup_intent)!, xUserId: md.x_user_id, xUsername: md.x_username ?? null,
          });
          d.onSetupLinked?.(md.x_user_id);
          return followups;
        }
        return [];
      }
      case 'payment_intent.succeeded':
        return md.order_id && str(obj.id) ? orderPaid(md.order_id, str(obj.id)!) : [];
      case 'charge.refunded':
        if (str(obj.payment_intent) && typeof obj.amount_refunded === 'number') await d.charging.applyRefund(str(obj.payment_intent)!, obj.amount_refunded);
        return [];
      // A refund Stripe first answered `pending` settles later: ours follows (order, stock, reply).
      case 'refund.updated':
      case 'charge.refund.updated': {
        const refund = refundFromEvent(obj);
        return refund ? refunds.applyStripeRefund(refund) : [];
      }
      case 'account.updated': {
        const account = accountFromEvent(obj);
        const merchant = account ? await applyAccountUpdated(d.db, account, created) : undefined;
        if (merchant) {
          d.log.info({ merchant_id: merchant.id, charges_enabled: merchant.charges_enabled, payouts_enabled: merchant.payouts_enabled, currently_due: merchant.requirements.currently_due.length }, 'merchant stripe account updated');
        }
        return [];
      }
      default:
        return [];
    }
  }

  return async (job: Job): Promise<{ type: string }> => {
    const parsed = stripeEventJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed stripe-event payload');
    const { rows } = await d.db.query<{ type: string; payload: { object: Obj; created: number }; processed_at: Date | null }>(
      'SELECT type, payload, processed_at FROM stripe_events WHERE id = $1',
      [parsed.data.eventId],
    );
    const ev = rows[0];
    if (!ev) throw new UnrecoverableError(`event ${parsed.data.eventId} not stored`);
    if (ev.processed_at) return { type: ev.type };
    const followups = await apply(ev.type, ev.payload.object, ev.payload.created);
    failpoint('before_stripe_event_followups');
    await enqueueFollowups(d.queues, followups);
    await d.db.query('UPDATE stripe_events SET processed_at = clock_timestamp() WHERE id = $1', [parsed.data.eventId]);
    d.log.info({ event_id: parsed.data.eventId, type: ev.type, job_id: job.id }, 'stripe event applied');
    return { type: ev.type };
  };
}
