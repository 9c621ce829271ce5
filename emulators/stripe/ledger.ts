import type { Ctx } from './context';
import { PLATFORM, type BalanceBucket } from './store';

/**
 * Balances per account and currency, in minor units. The emulator's rule (documented in the
 * README): money coming in lands in `pending`; `/_emulator/balance/release` moves pending to
 * `available` (Stripe does this after the payout delay); payouts take `available`. Money going out
 * (refunds, reversals, fee refunds) comes from `pending` first and then `available`, which may go
 * negative, as a Stripe balance can, until money coming in covers it. Stripe's own processing fees
 * are not modelled.
 */
function bucket(ctx: Ctx, account: string, currency: string): BalanceBucket {
  let byCurrency = ctx.store.balances.get(account);
  if (!byCurrency) ctx.store.balances.set(account, (byCurrency = new Map()));
  let b = byCurrency.get(currency);
  if (!b) byCurrency.set(currency, (b = { available: 0, pending: 0 }));
  return b;
}

/** Incoming money first pays off a negative available balance (as Stripe recovers one), the rest is pending. */
export function credit(ctx: Ctx, account: string | null, currency: string, amount: number): void {
  const b = bucket(ctx, account ?? PLATFORM, currency);
  const repay = Math.min(Math.max(-b.available, 0), amount);
  b.available += repay;
  b.pending += amount - repay;
}

export function debit(ctx: Ctx, account: string | null, currency: string, amount: number): void {
  const b = bucket(ctx, account ?? PLATFORM, currency);
  const fromPending = Math.min(Math.max(b.pending, 0), amount);
  b.pending -= fromPending;
  b.available -= amount - fromPending;
}

/** Pending becomes available, for one account (or the platform) or, without one, for all. */
export function release(ctx: Ctx, account?: string): void {
  for (const [key, byCurrency] of ctx.store.balances) {
    if (account !== undefined && key !== account) continue;
    for (const b of byCurrency.values()) {
      b.available += b.pending;
      b.pending = 0;
    }
  }
}

export function balancesOf(ctx: Ctx, account: string | null): Map<string, BalanceBucket> {
  return ctx.store.balances.get(account ?? PLATFORM) ?? new Map<string, BalanceBucket>();
}

/** Stripe's Balance object; an account that never moved money shows zero in its default currency. */
export function balanceObject(ctx: Ctx, account: string | null, defaultCurrency: string) {
  const entries = Array.from(balancesOf(ctx, account));
  if (entries.length === 0) entries.push([defaultCurrency, { available: 0, pending: 0 }]);
  const side = (pick: (b: BalanceBucket) => number) => entries.map(([currency, b]) => ({ amount: pick(b), currency, source_types: { card: pick(b) } }));
  return {
    object: 'balance',
    available: side((b) => b.available),
    ...(account ? {} : { connect_reserved: entries.map(([currency]) => ({ amount: 0, currency })) }),
    livemode: false,
    pending: side((b) => b.pending),
  };
}
