import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { invalidRequest, resourceMissing } from './errors';
import { newId, nowSeconds } from './ids';
import { asArray, asParams, expand, expandPaths, int, list, metadata, str, stringArray, type Params } from './params';
import { createCustomer, getCustomer } from './customers';
import { createSetupIntent, confirmSetupIntent } from './setup-intents';
import { confirmPaymentIntent, createPaymentIntent } from './payment-intents';
import { testCard } from './cards';
import type { CheckoutExtras, CheckoutSession, StripeObject } from './store';
import { connectParams } from './destination-charges';

function lineItems(params: Params): { items: StripeObject[]; total: number; currency: string } {
  const raw = asArray(params.line_items);
  if (raw.length === 0) throw invalidRequest('You must provide at least one line item in payment mode.', 'line_items', 'parameter_missing');
  let total = 0;
  let currency = '';
  const items = raw.map((entry, i) => {
    const item = asParams(entry);
    if (item.price !== undefined) throw invalidRequest(`No such price: '${String(item.price)}'`, `line_items[${i}][price]`, 'resource_missing');
    const priceData = asParams(item.price_data);
    const cur = str(priceData, 'currency')?.toLowerCase();
    if (!cur) throw invalidRequest('Missing required param: line_items[0][price_data][currency].', `line_items[${i}][price_data][currency]`, 'parameter_missing');
    const unit = int(priceData, 'unit_amount', `line_items[${i}][price_data][unit_amount]`);
    if (unit === undefined || unit < 0) throw invalidRequest('Missing required param: unit_amount.', `line_items[${i}][price_data][unit_amount]`, 'parameter_missing');
    const quantity = int(item, 'quantity', `line_items[${i}][quantity]`) ?? 1;
    if (quantity < 1) throw invalidRequest('Quantity must be at least 1.', `line_items[${i}][quantity]`);
    if (currency && cur !== currency) throw invalidRequest('All line items must share one currency.', `line_items[${i}][price_data][currency]`);
    currency = cur;
    const name = str(asParams(priceData.product_data), 'name') ?? 'Item';
    total += unit * quantity;
    return {
      id: newId('li_'),
      object: 'item',
      amount_discount: 0,
      amount_subtotal: unit * quantity,
      amount_tax: 0,
      amount_total: unit * quantity,
      created: nowSeconds(),
      currency: cur,
      description: name,
      livemode: false,
      price: { id: newId('price_'), object: 'price', active: false, currency: cur, product: newId('prod_', 14), type: 'one_time', unit_amount: unit },
      quantity,
    } as StripeObject;
  });
  return { items, total, currency };
}

export function expireIfDue(ctx: Ctx, session: CheckoutSession): void {
  if (session.status === 'open' && nowSeconds() >= session.expires_at) expireSession(ctx, session, null);
}

export function expireSession(ctx: Ctx, session: CheckoutSession, info: RequestInfo | null): void {
  session.status = 'expired';
  session.url = null;
  ctx.events.emit('checkout.session.expired', session, info);
}

export interface CompletionInput {
  card: string;
  email?: string;
  name?: string;
}

/**
 * What submitting the hosted page does. A card error propagates (ApiError 402) and leaves
 * the session open; 3DS counts as completed because the buyer is present on the page.
 */
export function completeSession(ctx: Ctx, session: CheckoutSession, input: CompletionInput, info: RequestInfo | null): CheckoutSession {
  expireIfDue(ctx, session);
  if (session.status !== 'open') throw invalidRequest(`This Checkout Session is ${session.status}.`, undefined, 'checkout_session_unexpected_state');
  if (!testCard(input.card)) throw invalidRequest(`Unknown test card: ${input.card}`, 'payment_method');
  const extras = ctx.store.checkoutExtras.get(session.id)!;
  const email = input.email || (session.customer_email as string | null) || null;
  const needsCustomer = session.mode === 'setup' || extras.customerCreation === 'always' || extras.paymentIntentData.setup_future_usage !== null;
  let customerId = session.customer;
  const ensureCustomer = () => {
    if (!customerId && needsCustomer) customerId = createCustomer(ctx, { email: email ?? undefined, name: input.name || undefined }, info).id;
    return customerId;
  };
  if (session.mode === 'setup') {
    const si = createSetupIntent(ctx, { customer: ensureCustomer() ?? undefined, usage: 'off_session', metadata: extras.setupIntentMetadata }, info);
    session.setup_intent = si.id;
    session.customer = customerId;
    confirmSetupIntent(ctx, si, { payment_method: input.card }, info, true);
    session.payment_status = 'no_payment_required';
  } else {
    let pi = session.payment_intent ? ctx.store.paymentIntents.get(session.payment_intent) : undefined;
    if (!pi || pi.status !== 'requires_payment_method') {
      const pid = extras.paymentIntentData;
      pi = createPaymentIntent(
        ctx,
        {
          amount: String(session.amount_total ?? 0),
          currency: session.currency ?? 'usd',
          customer: ensureCustomer() ?? undefined,
          metadata: pid.metadata,
          description: pid.description ?? undefined,
          setup_future_usage: pid.setup_future_usage ?? undefined,
          ...pid.connect,
        },
        info,
      );
      session.payment_intent = pi.id;
      session.customer = customerId;
    }
    pi.payment_method = input.card;
    confirmPaymentIntent(ctx, pi, { offSession: false, authenticated: true }, info);
    session.payment_status = 'paid';
  }
  session.status = 'complete';
  session.url = null;
  session.customer_details = { address: null, email, name: input.name || null, phone: null, tax_exempt: 'none', tax_ids: [] };
  ctx.events.emit('checkout.session.completed', session, info);
  return session;
}

export function registerCheckout(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;
  const get = (id: string) => {
    const s = store.checkoutSessions.get(id);
    if (!s) throw resourceMissing('checkout.session', id, 'session');
    expireIfDue(ctx, s);
    return s;
  };

  router.post('/v1/checkout/sessions', w(({ params }) => {
    const mode = str(params, 'mode');
    if (mode !== 'setup' && mode !== 'payment') {
      throw invalidRequest(mode ? `The emulator supports mode=setup and mode=payment only (got ${mode}).` : 'Missing required param: mode.', 'mode', mode ? undefined : 'parameter_missing');
    }
    const customer = str(params, 'customer') || null;
    if (customer) getCustomer(ctx, customer);
    let currency = str(params, 'currency')?.toLowerCase() ?? null;
    let total: number | null = null;
    let items: StripeObject[] = [];
    if (mode === 'payment') {
      const li = lineItems(params);
      items = li.items;
      total = li.total;
      currency = li.currency;
    } else if (!currency && stringArray(params, 'payment_method_types').length === 0) {
      throw invalidRequest('currency is required in setup mode when payment_method_types is not passed (dynamic payment methods).', 'currency', 'parameter_missing');
    }
    const pid = asParams(params.payment_intent_data);
    // Destination-charge fields are checked now, as Stripe does, and passed to the PaymentIntent on payment.
    const connect: Params = {};
    for (const k of ['transfer_data', 'application_fee_amount', 'on_behalf_of', 'transfer_group'] as const) if (pid[k] !== undefined) connect[k] = pid[k];
    if (Object.keys(connect).length > 0) {
      if (mode !== 'payment') throw invalidRequest('payment_intent_data can only be used in payment mode.', 'payment_intent_data');
      connectParams(ctx, connect, total ?? 0);
    }
    const created = nowSeconds();
    const id = newId('cs_test_', 58);
    const session: CheckoutSession = {
      id,
      object: 'checkout.session',
      amount_subtotal: total,
      amount_total: total,
      cancel_url: str(params, 'cancel_url') ?? null,
      client_reference_id: str(params, 'client_reference_id') ?? null,
      created,
      currency,
      customer,
      customer_creation: customer ? null : (str(params, 'customer_creation') ?? 'if_required'),
      customer_details: null,
      customer_email: str(params, 'customer_email') ?? null,
      expires_at: int(params, 'expires_at') ?? created + 24 * 3600,
      livemode: false,
      locale: str(params, 'locale') ?? null,
      metadata: metadata(params) ?? {},
      mode,
      payment_intent: null,
      payment_method_types: ['card'],
      payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      setup_intent: null,
      status: 'open',
      submit_type: null,
      success_url: str(params, 'success_url') ?? null,
      ui_mode: 'hosted',
      url: `${ctx.publicUrl()}/c/pay/${id}`,
    };
    const extras: CheckoutExtras = {
      lineItems: items,
      setupIntentMetadata: metadata(asParams(params.setup_intent_data)) ?? {},
      paymentIntentData: {
        metadata: metadata(pid) ?? {},
        description: str(pid, 'description') ?? null,
        setup_future_usage: str(pid, 'setup_future_usage') || null,
        connect,
      },
      customerCreation: str(params, 'customer_creation') ?? null,
    };
    store.checkoutSessions.set(id, session);
    store.checkoutExtras.set(id, extras);
    return expand(session, expandPaths(params), store);
  }));

  router.get('/v1/checkout/sessions', w(({ params }) => {
    const customer = str(params, 'customer');
    const pi = str(params, 'payment_intent');
    const status = str(params, 'status');
    let items: Iterable<CheckoutSession> = store.checkoutSessions.values();
    if (customer || pi || status) {
      items = Array.from(items).filter((s) => (!customer || s.customer === customer) && (!pi || s.payment_intent === pi) && (!status || s.status === status));
    }
    return list(items, { url: '/v1/checkout/sessions', params });
  }));

  router.get('/v1/checkout/sessions/:id', w(({ params, path }) => expand(get(path.id!), expandPaths(params), store)));

  router.get('/v1/checkout/sessions/:id/line_items', w(({ params, path }) => {
    const s = get(path.id!);
    return list([...(store.checkoutExtras.get(s.id)?.lineItems ?? [])].reverse(), { url: `/v1/checkout/sessions/${s.id}/line_items`, params });
  }));

  router.post('/v1/checkout/sessions/:id/expire', w(({ params, path, info }) => {
    const s = get(path.id!);
    if (s.status !== 'open') throw invalidRequest(`Only Checkout Sessions with a status of \`open\` can be expired. This session has a status of \`${s.status}\`.`, undefined, 'checkout_session_unexpected_state');
    expireSession(ctx, s, info);
    return expand(s, expandPaths(params), store);
  }));
}
