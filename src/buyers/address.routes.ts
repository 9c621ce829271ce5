import type { Request, RequestHandler, Response, Router } from 'express';
import { renderPage } from '../pages/render';
import { parseAddressForm, type ShippingAddress } from '../shipping/address';
import { countries, countryOf, subdivisionsOf } from '../shipping/countries';
import { currentUser, type BuyerPagesDeps } from './pages.deps';

const FIELDS = [
  { name: 'name', label: 'Full name', autocomplete: 'shipping name' },
  { name: 'line1', label: 'Address line 1', autocomplete: 'shipping address-line1' },
  { name: 'line2', label: 'Address line 2 (optional)', autocomplete: 'shipping address-line2' },
  { name: 'city', label: 'City or town', autocomplete: 'shipping address-level2' },
  { name: 'state', label: 'State, province or region', autocomplete: 'shipping address-level1' },
  { name: 'postal_code', label: 'Postal code', autocomplete: 'shipping postal-code' },
  { name: 'country', label: 'Country', autocomplete: 'shipping country' },
  { name: 'phone', label: 'Phone (optional, for the carrier)', autocomplete: 'shipping tel' },
] as const;

type Values = Record<(typeof FIELDS)[number]['name'], string>;

function valuesOf(a: ShippingAddress | null): Values {
  return {
    name: a?.name ?? '', line1: a?.line1 ?? '', line2: a?.line2 ?? '', city: a?.city ?? '',
    state: a ? (subdivisionsOf(a.country).find((s) => s.code === a.state)?.name ?? a.state ?? '') : '',
    postal_code: a?.postal_code ?? '', country: a?.country ?? '', phone: a?.phone ?? '',
  };
}

/** An order id from the signup flow, kept only if it is this buyer's (never echoed otherwise). */
async function ownOrder(d: BuyerPagesDeps, xUserId: string, raw: unknown): Promise<string | null> {
  if (typeof raw !== 'string' || !raw) return null;
  return (await d.onboarding.orderOfBuyer(xUserId, raw))?.id ?? null;
}

/**
 * /account/address: the buyer's shipping address, asked right after the card when the purchase
 * ships, and changeable from /account. Checked on the server against the country data.
 */
export function addressRoutes(d: BuyerPagesDeps, r: Router, page: RequestHandler[], signedIn: RequestHandler): void {
  function show(req: Request, res: Response, status: number, values: Values, orderId: string | null, errors: Record<string, string> = {}, hasAddress = false) {
    const country = countryOf(values.country);
    const subdivisions = subdivisionsOf(country?.code ?? 'US');
    renderPage(res, status, 'address', {
      title: 'Shipping address · Hashtag Checkout',
      heading: orderId ? 'Where should we ship it?' : hasAddress ? 'Change your shipping address' : 'Add a shipping address',
      lead: orderId ? 'Your card is saved. This purchase is shipped: tell the shop where, once; your next purchases use it too.' : '',
      orderId, errorCount: Object.keys(errors).length, csrf: d.sessions.csrfToken(req, res),
      fields: FIELDS.map((f) => ({
        ...f, value: values[f.name], error: errors[f.name],
        options: f.name === 'country' ? countries() : undefined,
        list: f.name === 'state' && subdivisions.length ? subdivisions : undefined,
      })),
    });
  }

  r.get('/account/address', ...page, signedIn, async (req, res) => {
    const me = currentUser(req)!;
    const current = await d.onboarding.addressFor(me.id);
    show(req, res, 200, valuesOf(current), await ownOrder(d, me.id, req.query.order), {}, current !== null);
  });

  r.post('/account/address', ...page, signedIn, async (req, res) => {
    const me = currentUser(req)!;
    const body = req.body as Record<string, unknown>;
    const orderId = await ownOrder(d, me.id, body.order);
    const result = parseAddressForm(body);
    if (!result.ok) {
      const echo = Object.fromEntries(FIELDS.map((f) => [f.name, typeof body[f.name] === 'string' ? String(body[f.name]) : ''])) as Values;
      return show(req, res, 400, echo, orderId, result.errors, (await d.onboarding.addressFor(me.id)) !== null);
    }
    await d.onboarding.saveAddress(me, result.address);
    res.redirect(303, orderId ? `/welcome?order=${encodeURIComponent(orderId)}` : '/account?address=saved');
  });
}
