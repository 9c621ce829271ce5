/**
 * Crash injection for tests: HC_FAILPOINTS=after_stripe_charge kills the process at that
 * point with SIGKILL, exactly as a machine dying there would. Ignored in production.
 * Points: after_stripe_charge (Stripe charged, nothing recorded), before_charge_followups and
 * before_stripe_event_followups (committed, follow-up jobs not yet enqueued),
 * after_stripe_event_stored (the webhook stored an event, its job not yet added).
 */
const active = new Set(
  process.env.NODE_ENV === 'production' ? [] : (process.env.HC_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
);

export function failpoint(name: string): void {
  if (active.has(name)) process.kill(process.pid, 'SIGKILL');
}
