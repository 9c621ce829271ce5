import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { ApiError, resourceMissing, unexpectedState } from './errors';
import { newId, nowSeconds, randomSuffix } from './ids';
import { bool, expand, expandPaths, list, mergeMetadata, metadata, str, type Params } from './params';
import { getCustomer } from './customers';
import { attach, cardState, resolvePaymentMethod, setupDecline } from './payment-methods';
import type { SetupIntent } from './store';

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

export function createSetupIntent(ctx: Ctx, params: Params, info: RequestInfo | null): SetupIntent {
  const customer = str(params, 'customer') || null;
  if (customer) getCustomer(ctx, customer);
  const pmId = str(params, 'payment_method') || null;
  const pm = pmId ? resolvePaymentMethod(ctx, pmId) : null;
  const id = newId('seti_');
  const si: SetupIntent = {
    id,
    object: 'setup_intent',
    application: null,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: `${id}_secret_${randomSuffix(24)}`,
    created: nowSeconds(),
    customer,
    description: str(params, 'description') ?? null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: metadata(params) ?? {},
    next_action: null,
    payment_method: pm?.id ?? null,
    payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    single_use_mandate: null,
    status: pm ? 'requires_confirmation' : 'requires_payment_method',
    usage: str(params, 'usage') ?? 'off_session',
  };
  ctx.store.setupIntents.set(si.id, si);
  ctx.events.emit('setup_intent.created', si, info);
  return si;
}

/**
 * Runs the setup attempt. `authenticated` stands for a customer who completed 3DS on a hosted page;
 * through the API alone a card that wants authentication leaves the intent in requires_action.
 */
export function confirmSetupIntent(ctx: Ctx, si: SetupIntent, params: Params, info: RequestInfo | null, authenticated = false): SetupIntent {
  if (!CONFIRMABLE.includes(si.status)) throw unexpectedState('SetupIntent', si.id, si.status, CONFIRMABLE, 'confirm');
  const pmParam = str(params, 'payment_method');
  if (pmParam) si.payment_method = resolvePaymentMethod(ctx, pmParam).id;
  if (!si.payment_method) {
    throw new ApiError(400, { type: 'invalid_request_error', code: 'setup_intent_unexpected_state', message: 'You cannot confirm this SetupIntent because it has no payment method.', param: 'payment_method' });
  }
  const pm = resolvePaymentMethod(ctx, si.payment_method);
  const state = cardState(ctx, pm);
  const behaviour = state.card.behaviour;
  if (behaviour === 'decline') {
    const error = setupDecline(pm, state.card);
    si.status = 'requires_payment_method';
    si.last_setup_error = { ...error.body };
    ctx.events.emit('setup_intent.setup_failed', si, info);
    error.body.setup_intent = { ...si };
    throw error;
  }
  if ((behaviour === 'auth_always' || behaviour === 'auth_unless_setup') && !authenticated && si.status !== 'requires_action') {
    si.status = 'requires_action';
    si.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?setup_intent=${si.id}`, source: `src_${randomSuffix(24)}` } };
    ctx.events.emit('setup_intent.requires_action', si, info);
    return si;
  }
  if (si.customer) attach(ctx, pm, si.customer, info);
  state.setUpOffSession = true;
  si.status = 'succeeded';
  si.next_action = null;
  si.last_setup_error = null;
  ctx.events.emit('setup_intent.succeeded', si, info);
  return si;
}

export function registerSetupIntents(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;
  const get = (id: string) => {
    const si = store.setupIntents.get(id);
    if (!si) throw resourceMissing('setupintent', id, 'intent');
    return si;
  };

  router.post('/v1/setup_intents', w(({ params, info }) => {
    const si = createSetupIntent(ctx, params, info);
    if (bool(params, 'confirm')) confirmSetupIntent(ctx, si, {}, info);
    return expand(si, expandPaths(params), store);
  }));

  router.get('/v1/setup_intents', w(({ params }) => {
    const customer = str(params, 'customer');
    const items = customer ? Array.from(store.setupIntents.values()).filter((s) => s.customer === customer) : store.setupIntents.values();
    return list(items, { url: '/v1/setup_intents', params });
  }));

  router.get('/v1/setup_intents/:id', w(({ params, path }) => expand(get(path.id!), expandPaths(params), store)));

  router.post('/v1/setup_intents/:id', w(({ params, path }) => {
    const si = get(path.id!);
    si.metadata = mergeMetadata(si.metadata, params);
    const pm = str(params, 'payment_method');
    if (pm) {
      si.payment_method = resolvePaymentMethod(ctx, pm).id;
      if (si.status === 'requires_payment_method') si.status = 'requires_confirmation';
    }
    return expand(si, expandPaths(params), store);
  }));

  router.post('/v1/setup_intents/:id/confirm', w(({ params, path, info }) => expand(confirmSetupIntent(ctx, get(path.id!), params, info), expandPaths(params), store)));

  router.post('/v1/setup_intents/:id/cancel', w(({ params, path, info }) => {
    const si = get(path.id!);
    if (si.status === 'succeeded' || si.status === 'canceled') throw unexpectedState('SetupIntent', si.id, si.status, CONFIRMABLE, 'cancel');
    si.status = 'canceled';
    si.cancellation_reason = str(params, 'cancellation_reason') ?? null;
    ctx.events.emit('setup_intent.canceled', si, info);
    return si;
  }));
}
