/**
 * The platform's fee on a sale: a percentage in basis points plus a fixed amount per currency,
 * both in the currency's minor units (cents for USD, yen for JPY: a zero-decimal currency needs
 * nothing special because its minor unit is its whole unit). Integer arithmetic only.
 */
export interface FeeRule {
  /** Basis points of the amount: 290 = 2.9 %. */
  bps: number;
  /** Fixed part per lowercase currency, in minor units; a currency not listed has none. */
  fixed: Record<string, number>;
}

/** A merchant's override as stored: a part left null falls back to the platform's part. */
export interface FeeOverride {
  bps: number | null;
  fixed: Record<string, number> | null;
}

export const MAX_FEE_BPS = 10_000;
/** Far above any sensible fixed fee (10,000.00 in a two-decimal currency); stops typos early. */
export const MAX_FIXED_FEE = 1_000_000;

const CURRENCIES = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));
export const isCurrency = (c: string): boolean => CURRENCIES.has(c);

/**
 * The fee on `amount`: the percentage rounded to the nearest minor unit (halves up), plus the
 * currency's fixed part, never more than the amount itself (a 0.50 sale with a 0.30 + 2.9 %
 * rule pays 0.31; a 0.20 sale pays 0.20, not 0.31).
 */
export function platformFee(amount: number, currency: string, rule: FeeRule): number {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`amount must be a non-negative integer, got ${amount}`);
  // BigInt: amount × bps can pass 2^53 for large amounts before the division brings it back.
  const percentage = Number((BigInt(amount) * BigInt(rule.bps) + 5_000n) / 10_000n);
  return Math.min(amount, percentage + (rule.fixed[currency.toLowerCase()] ?? 0));
}

/** The rule that applies to a merchant: its override's parts where set, the platform's elsewhere. */
export function effectiveRule(platform: FeeRule, override: FeeOverride | null): FeeRule & { source: 'platform' | 'merchant' } {
  if (!override || (override.bps === null && override.fixed === null)) return { ...platform, source: 'platform' };
  return { bps: override.bps ?? platform.bps, fixed: override.fixed ?? platform.fixed, source: 'merchant' };
}

/**
 * PLATFORM_FEE_FIXED: `usd:30,eur:25,jpy:0`, comma-separated `currency:minor units` pairs
 * (spaces allowed, case-insensitive, each currency once). Empty: no fixed part anywhere.
 * Returns the map, or the list of what is wrong with it.
 */
export function parseFixedFees(value: string): { ok: true; fixed: Record<string, number> } | { ok: false; problems: string[] } {
  const fixed: Record<string, number> = {};
  const problems: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^([A-Za-z]{3})\s*:\s*(\d{1,9})$/.exec(entry);
    if (!m) {
      problems.push(`"${entry}" is not currency:amount (e.g. usd:30, amounts in minor units)`);
      continue;
    }
    const currency = m[1]!.toLowerCase();
    const amount = Number(m[2]);
    if (!isCurrency(currency)) problems.push(`"${currency}" is not an ISO 4217 currency`);
    else if (currency in fixed) problems.push(`"${currency}" is given twice`);
    else if (amount > MAX_FIXED_FEE) problems.push(`"${entry}": at most ${MAX_FIXED_FEE} minor units`);
    else fixed[currency] = amount;
  }
  return problems.length ? { ok: false, problems } : { ok: true, fixed };
}
