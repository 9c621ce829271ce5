import type { RequestHandler, Router } from 'express';
import type { Ctx } from './context';
import type { Handler } from './api';
import { invalidRequest, resourceMissing } from './errors';
import { newId, nowSeconds } from './ids';
import { bool, expand, expandPaths, int, list, metadata, str } from './params';
import { settleRefundMoney } from './destination-charges';
import { credit } from './ledger';
import type { Charge, Refund } from './store';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

function money(amount: number, currency: string): string {
  const symbol = currency === 'usd' ? '$' : currency === 'eur' ? '€' : currency === 'gbp' ? '£' : '';
  return `${symbol}${(amount / 100).toFixed(2)}${symbol ? '' : ` ${currency}`}`;
}

export function registerRefunds(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;

  router.post('/v1/refunds', w(({ params, info }) => {
    const piId = str(params, 'payment_intent');
    const chargeId = str(params, 'charge');
    let charge: Charge | undefined;
    if (chargeId) {
      charge = store.charges.get(chargeId);
      if (!charge) throw resourceMissing('charge', chargeId, 'charge');
    } else if (piId) {
      const pi = store.paymentIntents.get(piId);
      if (!pi) throw resourceMissing('payment_intent', piId, 'payment_intent');
      charge = pi.latest_charge ? store.charges.get(pi.latest_charge) : undefined;
      if (!charge || charge.status !== 'succeeded') {
        throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
      }
    } else {
      throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    }
    if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, 'charge', 'charge_not_refundable');
    if (charge.refunded) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    const remaining = charge.amount - charge.amount_refunded;
    const amount = int(params, 'amount') ?? remaining;
    if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'amount');
    if (amount > remaining) {
      throw invalidRequest(
        `Refund amount (${money(amount, charge.currency)}) is greater than unrefunded amount on charge (${money(remaining, charge.currency)})`,
        'amount',
        'amount_too_large',
      );
    }
    const reason = str(params, 'reason') ?? null;
    const connectOptions = { reverseTransfer: bool(params, 'reverse_transfer') ?? false, refundApplicationFee: bool(params, 'refund_application_fee') ?? false };
    const paidWith = typeof charge.payment_method === 'string' ? store.cardStates.get(charge.payment_method) : undefined;
    const pending = paidWith?.card.refundsPending === true;
    if (reason && !REASONS.includes(reason)) throw invalidRequest(`Invalid reason: must be one of ${REASONS.join(', ')}`, 'reason');
    const refund: Refund = {
      id: newId('re_'),
      object: 'refund',
      amount,
      balance_transaction: newId('txn_'),
      charge: charge.id,
      created: nowSeconds(),
      currency: charge.currency,
      destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
      livemode: false,
      metadata: metadata(params) ?? {},
      payment_intent: charge.payment_intent,
      reason,
      receipt_number: null,
      source_transfer_reversal: null,
      status: pending ? 'pending' : 'succeeded',
      failure_reason: null,
      transfer_reversal: null,
      ...(pending ? { pending_reason: 'processing' } : {}),
    };
    store.refunds.set(refund.id, refund);
    // As on Stripe, the charge's amount_refunded counts a pending refund; a failure gives it back.
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    settleRefundMoney(ctx, charge, refund, connectOptions, info);
    ctx.events.emit('refund.created', refund, info);
    ctx.events.emit('charge.refunded', charge, info, previous);
    return expand(refund, expandPaths(params), store);
  }));

  router.get('/v1/refunds', w(({ params }) => {
    const chargeId = str(params, 'charge');
    const piId = str(params, 'payment_intent');
    let items: Iterable<Refund> = store.refunds.values();
    if (chargeId || piId) items = Array.from(items).filter((r) => (!chargeId || r.charge === chargeId) && (!piId || r.payment_intent === piId));
    return list(items, { url: '/v1/refunds', params });
  }));

  router.get('/v1/refunds/:id', w(({ params, path }) => {
    const refund = store.refunds.get(path.id!);
    if (!refund) throw resourceMissing('refund', path.id!, 'id');
    return expand(refund, expandPaths(params), store);
  }));
}

/**
 * Settles a pending refund the way Stripe does some time later: `refund.updated` and
 * `charge.refund.updated` (with `previous_attributes.status`), plus `refund.failed` for a failure,
 * whose amount no longer counts in the charge's `amount_refunded`.
 */
export function settleRefund(ctx: Ctx, refund: Refund, outcome: { status: 'succeeded' | 'failed'; failure_reason?: string }): Refund {
  const previous: Record<string, unknown> = { status: refund.status };
  refund.status = outcome.status;
  delete refund.pending_reason;
  if (outcome.status === 'failed') {
    refund.failure_reason = outcome.failure_reason ?? 'unknown';
    refund.failure_balance_transaction = newId('txn_');
    previous.failure_reason = null;
    const charge = ctx.store.charges.get(refund.charge);
    if (charge) {
      charge.amount_refunded = Math.max(0, charge.amount_refunded - refund.amount);
      charge.refunded = charge.amount_refunded >= charge.amount;
      // The platform gets the money back; a transfer reversal or fee refund it made stays (see README).
      credit(ctx, null, charge.currency, refund.amount);
    }
  }
  ctx.events.emit('refund.updated', refund, null, previous);
  ctx.events.emit('charge.refund.updated', refund, null, previous);
  if (outcome.status === 'failed') ctx.events.emit('refund.failed', refund, null, previous);
  return refund;
}
