import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { invalidRequest, resourceMissing } from './errors';
import { newId, nowSeconds, randomSuffix } from './ids';
import { asParams, expand, expandPaths, list, mergeMetadata, metadata, str, type Params } from './params';
import type { Customer } from './store';
import { shippingParam } from './shipping';

export function getCustomer(ctx: Ctx, id: string, param = 'customer'): Customer {
  const c = ctx.store.customers.get(id);
  if (!c) throw resourceMissing('customer', id, param);
  return c;
}

export function createCustomer(ctx: Ctx, params: Params, info: RequestInfo | null): Customer {
  const customer: Customer = {
    id: newId('cus_', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: str(params, 'description') ?? null,
    discount: null,
    email: str(params, 'email') ?? null,
    invoice_prefix: randomSuffix(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: metadata(params) ?? {},
    name: str(params, 'name') ?? null,
    next_invoice_sequence: 1,
    phone: str(params, 'phone') ?? null,
    preferred_locales: [],
    shipping: shippingParam(params, { tracking: false }) ?? null,
    tax_exempt: 'none',
    test_clock: null,
  };
  ctx.store.customers.set(customer.id, customer);
  ctx.events.emit('customer.created', customer, info);
  return customer;
}

export function registerCustomers(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;

  router.post('/v1/customers', w(({ params, info }) => expand(createCustomer(ctx, params, info), expandPaths(params), store)));

  router.get('/v1/customers', w(({ params }) => {
    const email = str(params, 'email');
    let items: Iterable<Customer> = store.customers.values();
    if (email) items = Array.from(store.customers.values()).filter((c) => c.email === email);
    return list(items, { url: '/v1/customers', params });
  }));

  router.get('/v1/customers/:id', w(({ params, path }) => {
    const id = path.id!;
    if (store.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
    return expand(getCustomer(ctx, id, 'id'), expandPaths(params), store);
  }));

  router.post('/v1/customers/:id', w(({ params, path, info }) => {
    const customer = getCustomer(ctx, path.id!, 'id');
    const previous: Record<string, unknown> = {};
    for (const field of ['email', 'name', 'description', 'phone'] as const) {
      const v = str(params, field);
      if (v !== undefined) {
        previous[field] = customer[field];
        customer[field] = v === '' ? null : v;
      }
    }
    const shipping = shippingParam(params, { tracking: false });
    if (shipping !== undefined) {
      previous.shipping = customer.shipping;
      customer.shipping = shipping;
    }
    if (params.metadata !== undefined) {
      previous.metadata = customer.metadata;
      customer.metadata = mergeMetadata(customer.metadata, params);
    }
    const invoiceSettings = asParams(params.invoice_settings);
    const dpm = str(invoiceSettings, 'default_payment_method');
    if (dpm !== undefined) {
      if (dpm !== '') {
        const pm = store.paymentMethods.get(dpm);
        if (!pm) throw resourceMissing('PaymentMethod', dpm, 'invoice_settings[default_payment_method]');
        if (pm.customer !== customer.id) {
          throw invalidRequest(`The PaymentMethod ${dpm} is not attached to customer ${customer.id}; attach it before making it the default.`, 'invoice_settings[default_payment_method]');
        }
      }
      previous.invoice_settings = { ...customer.invoice_settings };
      customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: dpm || null };
    }
    ctx.events.emit('customer.updated', customer, info, previous);
    return expand(customer, expandPaths(params), store);
  }));

  router.delete('/v1/customers/:id', w(({ path, info }) => {
    const customer = getCustomer(ctx, path.id!, 'id');
    store.customers.delete(customer.id);
    store.deletedCustomers.add(customer.id);
    // Stripe detaches the customer's payment methods with it.
    for (const pmId of store.pmsByCustomer.get(customer.id) ?? []) {
      const pm = store.paymentMethods.get(pmId);
      if (pm) pm.customer = null;
    }
    store.pmsByCustomer.delete(customer.id);
    ctx.events.emit('customer.deleted', customer, info);
    return { id: customer.id, object: 'customer', deleted: true };
  }));
}
