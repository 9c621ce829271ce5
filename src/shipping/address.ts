import { z } from 'zod';
import { plainText } from '../http/text';
import { countryOf, subdivisionOf, subdivisionsOf } from './countries';

/** A buyer's shipping address, our shape (the payments adapter translates it to Stripe's). */
export interface ShippingAddress {
  name: string;
  phone: string | null;
  line1: string;
  line2: string | null;
  city: string;
  /** ISO 3166-2 subdivision code without the country prefix (e.g. "CA"), or null. */
  state: string | null;
  postal_code: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

// Postal systems that cannot deliver without the state or province; elsewhere it is optional.
const STATE_REQUIRED = new Set(['US', 'CA', 'AU', 'BR', 'MX', 'IN']);

const line = (max: number) => plainText(z.string().trim().max(max, `must be at most ${max} characters`));
const optional = (max: number) => line(max).transform((v) => v || null);

const form = z.object({
  name: line(100).min(1, 'Enter the name to ship to.'),
  line1: line(200).min(1, 'Enter the street address.'),
  line2: optional(200),
  city: line(100).min(1, 'Enter the city or town.'),
  state: line(100),
  postal_code: line(20).regex(/^[A-Za-z0-9 -]*$/, 'A postal code has only letters, digits, spaces and dashes.'),
  country: line(2).min(1, 'Choose a country.'),
  phone: line(30).regex(/^[0-9+()\-. ]*$/, 'A phone number has only digits, spaces and + ( ) - .').transform((v) => v || null),
});

export type AddressResult = { ok: true; address: ShippingAddress } | { ok: false; errors: Record<string, string> };

/**
 * A posted address form, checked field by field against the country/subdivision data: the
 * state may be given by code or name and is stored as its code.
 */
export function parseAddressForm(body: Record<string, unknown>): AddressResult {
  const raw = Object.fromEntries(['name', 'line1', 'line2', 'city', 'state', 'postal_code', 'country', 'phone'].map((k) => [k, typeof body[k] === 'string' ? body[k] : '']));
  const parsed = form.safeParse(raw);
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0]);
      errors[field] ??= issue.message === 'must be well-formed Unicode without control characters such as NUL' ? 'Remove the unusual characters from this field.' : issue.message;
    }
  }
  const country = countryOf(String(raw.country));
  if (!errors.country && !country) errors.country = 'Choose a country from the list.';
  let state: string | null = null;
  if (country && !errors.state) {
    const given = String(raw.state).trim();
    if (given) {
      const known = subdivisionOf(country.code, given);
      if (known) state = known.code;
      else if (subdivisionsOf(country.code).length) errors.state = `Choose a state or region of ${country.name} from the list.`;
      else state = given;
    } else if (STATE_REQUIRED.has(country.code)) errors.state = `Choose the state or province: ${country.name} needs it to deliver.`;
  }
  // Optional: some countries have no postal codes, and the data package does not say which.
  const postal = String(raw.postal_code).trim().toUpperCase();
  if (Object.keys(errors).length || !parsed.success || !country) return { ok: false, errors };
  const v = parsed.data;
  return {
    ok: true,
    address: { name: v.name, phone: v.phone, line1: v.line1, line2: v.line2, city: v.city, state, postal_code: postal || null, country: country.code },
  };
}

/** Whether an address lets a product ship to it; null countries = anywhere. */
export function shipsTo(countries: string[] | null, address: ShippingAddress | null): boolean {
  if (!address) return false;
  return countries === null || countries.includes(address.country);
}

/** An order for this product cannot be charged yet: it ships, and the buyer has no address it ships to. */
export function needsAddress(product: { shipping: 'required' | 'none'; shipping_countries: string[] | null }, address: ShippingAddress | null): boolean {
  return product.shipping === 'required' && !shipsTo(product.shipping_countries, address);
}
