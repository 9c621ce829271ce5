/**
 * The largest amount one payment may carry, in minor units. Stripe's API reference for an
 * intent's or a charge's `amount`: "The amount value supports up to eight digits (e.g., a value
 * of 99999999 for a USD charge of $999,999.99)"; stripe.com/docs/currencies lists the per-currency
 * minimum and maximum charge amounts and the zero-decimal currencies (JPY, KRW, ...), where the
 * same eight digits mean ¥99,999,999. Above it Stripe answers `amount_too_large`, so an order is
 * refused before it is placed rather than after a buyer was told a price.
 */
export const MAX_CHARGE_MINOR_UNITS = 99_999_999;

export function maxChargeAmount(_currency: string): number {
  return MAX_CHARGE_MINOR_UNITS;
}
