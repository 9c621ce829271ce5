import type { ShippingAddress } from './address';
import { countryOf, subdivisionsOf } from './countries';

/** An address as the buyer reads it on their own pages: one line each, empty parts left out. */
export function addressLines(a: ShippingAddress): string[] {
  const state = a.state ? (subdivisionsOf(a.country).find((s) => s.code === a.state)?.name ?? a.state) : null;
  return [
    a.name,
    a.line1,
    a.line2,
    [a.city, state, a.postal_code].filter(Boolean).join(', '),
    countryOf(a.country)?.name ?? a.country,
    a.phone,
  ].filter((l): l is string => Boolean(l));
}
