import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { resourceMissing } from './errors';
import { newId, nowSeconds, randomSuffix } from './ids';
import { expand, expandPaths, list, str } from './params';
import type { Charge, PaymentIntent, PaymentMethod } from './store';
import { settleCharge } from './destination-charges';

export interface Failure {
  code: string;
  declineCode: string;
  message: string;
}

export function createCharge(ctx: Ctx, pi: PaymentIntent, pm: PaymentMethod, failure: Failure | null, info: RequestInfo | null): Charge {
  const ok = failure === null;
  const charge: Charge = {
    id: newId('ch_'),
    object: 'charge',
    amount: pi.amount,
    amount_captured: ok ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: ok ? newId('txn_') : null,
    billing_details: pm.billing_details,
    calculated_statement_descriptor: 'HASHTAG CHECKOUT',
    captured: ok,
    created: nowSeconds(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description ?? null,
    destination: null,
    disputed: false,
    failure_code: failure?.code ?? null,
    failure_message: failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: ok
      ? { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 32, seller_message: 'Payment complete.', type: 'authorized' }
      : { network_status: 'declined_by_network', reason: failure.declineCode, risk_level: 'normal', risk_score: 32, seller_message: 'The bank did not return any further details with this decline.', type: 'issuer_declined' },
    paid: ok,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        brand: pm.card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: null },
        country: pm.card.country,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        fingerprint: pm.card.fingerprint,
        funding: pm.card.funding,
        last4: pm.card.last4,
        network: pm.card.brand,
        three_d_secure: null,
      },
      type: 'card',
    },
    receipt_email: pi.receipt_email ?? null,
    receipt_url: ok ? `https://pay.stripe.com/receipts/payment/${randomSuffix(40)}` : null,
    refunded: false,
    status: ok ? 'succeeded' : 'failed',
    transfer: null,
    transfer_data: null,
    transfer_group: null,
  };
  // Money moves (and a destination charge gets its transfer and fee) before charge.succeeded is sent.
  if (ok) settleCharge(ctx, pi, charge, info);
  ctx.store.charges.set(charge.id, charge);
  ctx.events.emit(ok ? 'charge.succeeded' : 'charge.failed', charge, info);
  return charge;
}

export function registerCharges(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;
  router.get('/v1/charges', w(({ params }) => {
    const customer = str(params, 'customer');
    const pi = str(params, 'payment_intent');
    let items: Iterable<Charge> = store.charges.values();
    if (customer || pi) items = Array.from(items).filter((c) => (!customer || c.customer === customer) && (!pi || c.payment_intent === pi));
    return list(items, { url: '/v1/charges', params });
  }));
  router.get('/v1/charges/:id', w(({ params, path }) => {
    const charge = store.charges.get(path.id!);
    if (!charge) throw resourceMissing('charge', path.id!, 'id');
    return expand(charge, expandPaths(params), store);
  }));
}
