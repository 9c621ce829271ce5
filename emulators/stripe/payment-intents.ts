import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { ApiError, docUrl, invalidRequest, resourceMissing, unexpectedState } from './errors';
import { newId, nowSeconds, randomSuffix } from './ids';
import { bool, expand, expandPaths, int, list, mergeMetadata, metadata, requiredStr, str, type Params } from './params';
import { shippingParam } from './shipping';
import { getCustomer } from './customers';
import { attach, cardState, resolvePaymentMethod } from './payment-methods';
import { createCharge, type Failure } from './charges';
import { checkFeeWithin, connectParams } from './destination-charges';
import type { PaymentIntent, PaymentMethod } from './store';

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
// Stripe's minimum charge amounts for the common currencies (minor units).
const MINIMUMS: Record<string, number> = { usd: 50, eur: 50, cad: 50, aud: 50, chf: 50, gbp: 30 };

function checkAmount(amount: number, currency: string): void {
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'amount');
  const min = MINIMUMS[currency];
  if (min && amount < min) {
    throw invalidRequest(`Amount must be at least ${(min / 100).toFixed(2)} ${currency}`, 'amount', 'amount_too_small');
  }
}

/** The payment method must belong to the intent's customer; a test token is minted fresh and is always fine. */
function usablePaymentMethod(ctx: Ctx, id: string, customer: string | null): PaymentMethod {
  const isToken = ctx.store.paymentMethods.get(id) === undefined;
  const pm = resolvePaymentMethod(ctx, id);
  if (isToken) return pm;
  if (pm.customer && pm.customer !== customer) {
    throw invalidRequest(
      customer
        ? `The provided PaymentMethod belongs to a different Customer (${pm.customer}) than the one on this PaymentIntent (${customer}).`
        : `The provided PaymentMethod ${pm.id} is attached to a Customer, so the customer parameter must also be provided.`,
      'payment_method',
    );
  }
  if (!pm.customer && customer) {
    throw invalidRequest(`The PaymentMethod ${pm.id} is not attached to the Customer ${customer}. Attach it to the customer first.`, 'payment_method');
  }
  return pm;
}

export function createPaymentIntent(ctx: Ctx, params: Params, info: RequestInfo | null): PaymentIntent {
  const amount = int(params, 'amount');
  if (amount === undefined) throw invalidRequest('Missing required param: amount.', 'amount', 'parameter_missing');
  const currency = requiredStr(params, 'currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, gbp, ...`, 'currency');
  checkAmount(amount, currency);
  const connect = connectParams(ctx, params, amount);
  const captureMethod = str(params, 'capture_method') ?? 'automatic';
  if (captureMethod === 'manual') throw invalidRequest('The Stripe emulator supports capture_method automatic only.', 'capture_method');
  const customer = str(params, 'customer') || null;
  if (customer) getCustomer(ctx, customer);
  const pmId = str(params, 'payment_method') || null;
  const pm = pmId ? usablePaymentMethod(ctx, pmId, customer) : null;
  const id = newId('pi_');
  const pi: PaymentIntent = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: connect.application_fee_amount,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: captureMethod,
    client_secret: `${id}_secret_${randomSuffix(25)}`,
    confirmation_method: 'automatic',
    created: nowSeconds(),
    currency,
    customer,
    description: str(params, 'description') ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: metadata(params) ?? {},
    next_action: null,
    on_behalf_of: connect.on_behalf_of,
    payment_method: pm?.id ?? null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: str(params, 'receipt_email') ?? null,
    review: null,
    setup_future_usage: str(params, 'setup_future_usage') || null,
    shipping: shippingParam(params, { tracking: true }) ?? null,
    statement_descriptor: str(params, 'statement_descriptor') ?? null,
    statement_descriptor_suffix: null,
    status: pm ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: connect.transfer_data,
    transfer_group: str(params, 'transfer_group') || null,
  };
  ctx.store.paymentIntents.set(pi.id, pi);
  if (customer) ctx.store.indexAdd(ctx.store.pisByCustomer, customer, pi.id);
  ctx.events.emit('payment_intent.created', pi, info);
  return pi;
}

function declineOf(behaviour: string, card: { declineCode?: string; declineMessage?: string }): Failure {
  if (behaviour === 'auth') {
    return { code: 'authentication_required', declineCode: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' };
  }
  return { code: 'card_declined', declineCode: card.declineCode ?? 'generic_decline', message: card.declineMessage ?? 'Your card was declined.' };
}

export interface ConfirmOptions {
  offSession: boolean;
  /** The customer completed 3DS on a hosted page. */
  authenticated?: boolean;
}

/**
 * One payment attempt, with Stripe's outcomes: success; a decline (402, intent back to
 * requires_payment_method, failed charge); or, on-session, a card wanting 3DS leaves
 * requires_action. Off-session, a card wanting 3DS is declined with authentication_required.
 */
export function confirmPaymentIntent(ctx: Ctx, pi: PaymentIntent, opts: ConfirmOptions, info: RequestInfo | null): PaymentIntent {
  if (!CONFIRMABLE.includes(pi.status)) throw unexpectedState('PaymentIntent', pi.id, pi.status, CONFIRMABLE, 'confirm');
  if (!pi.payment_method) {
    throw new ApiError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      doc_url: docUrl('payment_intent_unexpected_state'),
      message: "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with " + pi.customer + ', specify a payment method attached to this customer along with the customer ID.',
      param: 'payment_method',
    });
  }
  const pm = resolvePaymentMethod(ctx, pi.payment_method);
  pi.payment_method = pm.id;
  const state = cardState(ctx, pm);
  const behaviour = state.card.behaviour;
  const wantsAuth = behaviour === 'auth_always' || (behaviour === 'auth_unless_setup' && !(opts.offSession && state.setUpOffSession));
  let failure: Failure | null = null;
  if (behaviour === 'decline' || behaviour === 'charge_fail') failure = declineOf(behaviour, state.card);
  else if (wantsAuth && !opts.authenticated) {
    if (!opts.offSession) {
      pi.status = 'requires_action';
      pi.next_action = {
        type: 'use_stripe_sdk',
        use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${pi.id}`, source: `src_${randomSuffix(24)}` },
      };
      ctx.events.emit('payment_intent.requires_action', pi, info);
      return pi;
    }
    failure = declineOf('auth', state.card);
  }
  const charge = createCharge(ctx, pi, pm, failure, info);
  pi.latest_charge = charge.id;
  pi.next_action = null;
  if (failure) {
    const error = {
      charge: charge.id,
      code: failure.code,
      decline_code: failure.declineCode,
      doc_url: docUrl(failure.code),
      message: failure.message,
      payment_method: pm,
      type: 'card_error' as const,
    };
    pi.status = 'requires_payment_method';
    pi.last_payment_error = error;
    ctx.events.emit('payment_intent.payment_failed', pi, info);
    throw new ApiError(402, { ...error, payment_intent: { ...pi }, request_log_url: `https://dashboard.stripe.com/test/logs/${info?.id ?? ''}` });
  }
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.last_payment_error = null;
  if (pi.setup_future_usage && pi.customer) {
    attach(ctx, pm, pi.customer, info);
    state.setUpOffSession = true;
  }
  ctx.events.emit('payment_intent.succeeded', pi, info);
  return pi;
}

function offSessionParam(params: Params): boolean {
  const v = params.off_session;
  if (v === 'one_off' || v === 'recurring') return true;
  return bool(params, 'off_session') ?? false;
}

export function registerPaymentIntents(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;
  const get = (id: string) => {
    const pi = store.paymentIntents.get(id);
    if (!pi) throw resourceMissing('payment_intent', id, 'intent');
    return pi;
  };

  router.post('/v1/payment_intents', w(({ params, info }) => {
    const confirm = bool(params, 'confirm') ?? false;
    const offSession = offSessionParam(params);
    if (params.off_session !== undefined && !confirm) throw invalidRequest('You can only pass in `off_session` when `confirm` is set to true.', 'off_session');
    const pi = createPaymentIntent(ctx, params, info);
    if (confirm) confirmPaymentIntent(ctx, pi, { offSession }, info);
    return expand(pi, expandPaths(params), store);
  }));

  router.get('/v1/payment_intents', w(({ params }) => {
    const customer = str(params, 'customer');
    let items: Iterable<PaymentIntent> = store.paymentIntents.values();
    if (customer) {
      const ids = store.pisByCustomer.get(customer) ?? new Set<string>();
      items = Array.from(ids, (id) => store.paymentIntents.get(id)).filter((p): p is PaymentIntent => p !== undefined);
    }
    return list(items, { url: '/v1/payment_intents', params });
  }));

  router.get('/v1/payment_intents/:id', w(({ params, path }) => expand(get(path.id!), expandPaths(params), store)));

  router.post('/v1/payment_intents/:id', w(({ params, path, info }) => {
    const pi = get(path.id!);
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      if (params.amount !== undefined || params.payment_method !== undefined) throw unexpectedState('PaymentIntent', pi.id, pi.status, CONFIRMABLE, 'update');
    }
    const amount = int(params, 'amount');
    if (amount !== undefined) {
      checkAmount(amount, pi.currency);
      checkFeeWithin(pi, amount);
      pi.amount = amount;
    }
    const description = str(params, 'description');
    if (description !== undefined) pi.description = description || null;
    pi.metadata = mergeMetadata(pi.metadata, params);
    const shipping = shippingParam(params, { tracking: true });
    if (shipping !== undefined) pi.shipping = shipping;
    const pmId = str(params, 'payment_method');
    if (pmId) {
      pi.payment_method = usablePaymentMethod(ctx, pmId, pi.customer).id;
      if (pi.status === 'requires_payment_method') pi.status = 'requires_confirmation';
    }
    ctx.events.emit('payment_intent.updated', pi, info);
    return expand(pi, expandPaths(params), store);
  }));

  router.post('/v1/payment_intents/:id/confirm', w(({ params, path, info }) => {
    const pi = get(path.id!);
    const pmId = str(params, 'payment_method');
    if (pmId && CONFIRMABLE.includes(pi.status)) pi.payment_method = usablePaymentMethod(ctx, pmId, pi.customer).id;
    confirmPaymentIntent(ctx, pi, { offSession: offSessionParam(params) }, info);
    return expand(pi, expandPaths(params), store);
  }));

  router.post('/v1/payment_intents/:id/cancel', w(({ params, path, info }) => {
    const pi = get(path.id!);
    if (!CANCELABLE.includes(pi.status)) throw unexpectedState('PaymentIntent', pi.id, pi.status, CANCELABLE, 'cancel');
    pi.status = 'canceled';
    pi.canceled_at = nowSeconds();
    pi.cancellation_reason = str(params, 'cancellation_reason') ?? null;
    pi.next_action = null;
    ctx.events.emit('payment_intent.canceled', pi, info);
    return expand(pi, expandPaths(params), store);
  }));
}
