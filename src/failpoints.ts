/**
 * Crash injection for tests: HC_FAILPOINTS=after_stripe_charge kills the process at that
 * point with SIGKILL, exactly as a machine dying there would. Ignored in production.
 */
const active = new Set(
  process.env.NODE_ENV === 'production' ? [] : (process.env.HC_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
);

export function failpoint(name: string): void {
  if (active.has(name)) process.kill(process.pid, 'SIGKILL');
}
