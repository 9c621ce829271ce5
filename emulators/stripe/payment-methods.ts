import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { ApiError, docUrl, invalidRequest, resourceMissing } from './errors';
import { newId, nowSeconds } from './ids';
import { expand, expandPaths, list, mergeMetadata, requiredStr, str } from './params';
import { testCard, type TestCard } from './cards';
import { getCustomer } from './customers';
import type { PaymentMethod } from './store';

const EXP_YEAR = new Date().getFullYear() + 3;

export function mintPaymentMethod(ctx: Ctx, card: TestCard): PaymentMethod {
  const pm: PaymentMethod = {
    id: newId('pm_'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      display_brand: card.brand,
      exp_month: 12,
      exp_year: EXP_YEAR,
      fingerprint: `fp${card.last4}${card.brand}`.slice(0, 16),
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: nowSeconds(),
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
  ctx.store.paymentMethods.set(pm.id, pm);
  ctx.store.cardStates.set(pm.id, { card, setUpOffSession: false });
  return pm;
}

/** A test token (`pm_card_visa`) becomes a fresh payment method each time it is used, as on Stripe. */
export function resolvePaymentMethod(ctx: Ctx, id: string, param = 'payment_method'): PaymentMethod {
  const card = testCard(id);
  if (card) return mintPaymentMethod(ctx, card);
  const pm = ctx.store.paymentMethods.get(id);
  if (!pm) throw resourceMissing('PaymentMethod', id, param);
  return pm;
}

export function cardState(ctx: Ctx, pm: PaymentMethod) {
  const state = ctx.store.cardStates.get(pm.id);
  if (!state) throw new Error(`payment method ${pm.id} has no card state`);
  return state;
}

/** Card error thrown when setting up a card that the issuer refuses (Stripe checks cards on attach). */
export function setupDecline(pm: PaymentMethod, card: TestCard, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(402, {
    type: 'card_error',
    code: 'card_declined',
    decline_code: card.declineCode ?? 'generic_decline',
    doc_url: docUrl('card_declined'),
    message: card.declineMessage ?? 'Your card was declined.',
    param: '',
    payment_method: pm,
    ...extra,
  });
}

export function attach(ctx: Ctx, pm: PaymentMethod, customerId: string, info: RequestInfo | null): PaymentMethod {
  if (pm.customer === customerId) return pm;
  if (pm.customer) {
    throw invalidRequest(`The payment method you provided has already been attached to a customer.`, 'payment_method', 'payment_method_unexpected_state');
  }
  const state = cardState(ctx, pm);
  if (state.card.behaviour === 'decline') throw setupDecline(pm, state.card);
  pm.customer = customerId;
  ctx.store.indexAdd(ctx.store.pmsByCustomer, customerId, pm.id);
  ctx.events.emit('payment_method.attached', pm, info);
  return pm;
}

function customerPaymentMethods(ctx: Ctx, customerId: string, type: string | undefined): PaymentMethod[] {
  const ids = ctx.store.pmsByCustomer.get(customerId) ?? new Set<string>();
  const out: PaymentMethod[] = [];
  for (const id of ids) {
    const pm = ctx.store.paymentMethods.get(id);
    if (pm && (!type || pm.type === type)) out.push(pm);
  }
  return out.sort((a, b) => a.created - b.created);
}

export function registerPaymentMethods(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;

  router.post('/v1/payment_methods', w(({ params }) => {
    // Raw card numbers never reach the service; only test tokens may be cloned here.
    const token = str(params, 'payment_method') ?? '';
    const card = testCard(token);
    if (!card) throw invalidRequest('Creating payment methods from raw card details is not supported by the emulator; pass payment_method=pm_card_visa (or another test token).', 'payment_method');
    return mintPaymentMethod(ctx, card);
  }));

  router.get('/v1/payment_methods', w(({ params }) => {
    const customer = str(params, 'customer');
    const type = str(params, 'type');
    if (!customer) throw invalidRequest('Listing payment methods needs a customer in the emulator.', 'customer', 'parameter_missing');
    getCustomer(ctx, customer);
    return list(customerPaymentMethods(ctx, customer, type), { url: '/v1/payment_methods', params });
  }));

  router.get('/v1/customers/:id/payment_methods', w(({ params, path }) => {
    getCustomer(ctx, path.id!, 'customer');
    return list(customerPaymentMethods(ctx, path.id!, str(params, 'type')), { url: `/v1/customers/${path.id}/payment_methods`, params });
  }));

  router.get('/v1/customers/:id/payment_methods/:pm', w(({ path }) => {
    const pm = store.paymentMethods.get(path.pm!);
    if (!pm || pm.customer !== path.id) throw resourceMissing('PaymentMethod', path.pm!, 'payment_method');
    return pm;
  }));

  router.get('/v1/payment_methods/:id', w(({ params, path }) => expand(resolvePaymentMethod(ctx, path.id!, 'id'), expandPaths(params), store)));

  router.post('/v1/payment_methods/:id', w(({ params, path, info }) => {
    const pm = resolvePaymentMethod(ctx, path.id!, 'id');
    pm.metadata = mergeMetadata(pm.metadata as Record<string, string>, params);
    ctx.events.emit('payment_method.updated', pm, info);
    return pm;
  }));

  router.post('/v1/payment_methods/:id/attach', w(({ params, path, info }) => {
    const customerId = requiredStr(params, 'customer');
    getCustomer(ctx, customerId);
    const pm = resolvePaymentMethod(ctx, path.id!, 'id');
    return expand(attach(ctx, pm, customerId, info), expandPaths(params), store);
  }));

  router.post('/v1/payment_methods/:id/detach', w(({ path, info }) => {
    const pm = resolvePaymentMethod(ctx, path.id!, 'id');
    if (!pm.customer) throw invalidRequest(`The payment method ${pm.id} is not attached to a customer.`, undefined, 'payment_method_unexpected_state');
    const customer = store.customers.get(pm.customer);
    store.indexDelete(store.pmsByCustomer, pm.customer, pm.id);
    if (customer?.invoice_settings.default_payment_method === pm.id) customer.invoice_settings.default_payment_method = null;
    pm.customer = null;
    ctx.events.emit('payment_method.detached', pm, info, { customer: customer?.id ?? null });
    return pm;
  }));
}
