// Deep imports: the package's index also loads every city of the world (~45 MB of heap, half a
// second) which an address form never needs.
import Country from 'country-state-city/lib/cjs/country.js';
import State from 'country-state-city/lib/cjs/state.js';

export interface Place {
  code: string;
  name: string;
}

const COUNTRIES: Place[] = Country.getAllCountries()
  .map((c) => ({ code: c.isoCode.toUpperCase(), name: c.name }))
  .sort((a, b) => a.name.localeCompare(b.name, 'en'));
const BY_CODE = new Map(COUNTRIES.map((c) => [c.code, c]));

/** Every country a buyer can pick, by English name. */
export function countries(): Place[] {
  return COUNTRIES;
}

/** The country for an ISO 3166-1 alpha-2 code (any case), or undefined. */
export function countryOf(code: string): Place | undefined {
  return BY_CODE.get(code.trim().toUpperCase());
}

/** The subdivisions (states, provinces, regions) the data knows for a country; may be empty. */
export function subdivisionsOf(countryCode: string): Place[] {
  return State.getStatesOfCountry(countryCode.toUpperCase())
    .map((s) => ({ code: s.isoCode.toUpperCase(), name: s.name }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
}

/** A subdivision of a country given by its code or its name (any case), or undefined. */
export function subdivisionOf(countryCode: string, input: string): Place | undefined {
  const wanted = input.trim().toLowerCase();
  if (!wanted) return undefined;
  return subdivisionsOf(countryCode).find((s) => s.code.toLowerCase() === wanted || s.name.toLowerCase() === wanted);
}
