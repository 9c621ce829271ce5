import { invalidRequest } from './errors';
import { asParams, requiredStr, str, type Params } from './params';

/** Stripe's `shipping` hash as it is returned: every address field present, null when not given. */
export interface Shipping {
  address: { city: string | null; country: string | null; line1: string | null; line2: string | null; postal_code: string | null; state: string | null };
  name: string;
  phone: string | null;
  carrier?: string | null;
  tracking_number?: string | null;
}

/**
 * The `shipping` parameter of customers and PaymentIntents: undefined when absent, null when sent
 * empty (`shipping=` clears it), else the hash. Like Stripe, `name` and `address[line1]` are
 * required; `carrier` and `tracking_number` exist on PaymentIntents only.
 */
export function shippingParam(params: Params, opts: { tracking: boolean }): Shipping | null | undefined {
  const raw = params.shipping;
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest('Invalid object', 'shipping');
  const s = asParams(raw);
  if (s.address === undefined || s.address === '') throw invalidRequest('Missing required param: shipping[address].', 'shipping[address]', 'parameter_missing');
  const a = asParams(s.address);
  const known = new Set(['city', 'country', 'line1', 'line2', 'postal_code', 'state']);
  for (const k of Object.keys(a)) if (!known.has(k)) throw invalidRequest(`Received unknown parameter: shipping[address][${k}]`, `shipping[address][${k}]`);
  const field = (name: string) => str(a, name) || null;
  const shipping: Shipping = {
    address: {
      city: field('city'), country: field('country'),
      line1: requiredStr(a, 'line1', 'shipping[address][line1]'),
      line2: field('line2'), postal_code: field('postal_code'), state: field('state'),
    },
    name: requiredStr(s, 'name', 'shipping[name]'),
    phone: str(s, 'phone') || null,
  };
  if (opts.tracking) {
    shipping.carrier = str(s, 'carrier') || null;
    shipping.tracking_number = str(s, 'tracking_number') || null;
  } else if (s.carrier !== undefined || s.tracking_number !== undefined) {
    throw invalidRequest('Received unknown parameter: shipping[carrier]', 'shipping[carrier]');
  }
  return shipping;
}
