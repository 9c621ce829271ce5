import { backOff } from 'exponential-backoff';
import type { Logger } from './logger';

/** A dependency still unreachable when the start-up wait ran out: one readable line, exit 1. */
export class DependencyUnreachableError extends Error {}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/**
 * Tries `probe` until it succeeds, backing off from 250 ms to 5 s, for at most `waitSeconds` in
 * all. Behind an orchestrator that starts everything at once, PostgreSQL and Redis may come up
 * after the service: a role that gave up at once would stay down with work half done. Each
 * retry is logged at warn with what is awaited and where (`target` must already be redacted).
 */
export async function waitForDependency(
  what: string,
  target: string,
  probe: () => Promise<void>,
  opts: { waitSeconds: number; log: Logger; hint: string },
): Promise<void> {
  const started = Date.now();
  const deadline = started + opts.waitSeconds * 1000;
  try {
    await backOff(probe, {
      startingDelay: FIRST_DELAY_MS,
      timeMultiple: 2,
      maxDelay: MAX_DELAY_MS,
      numOfAttempts: Number.MAX_SAFE_INTEGER,
      retry: (err: Error, attempt: number) => {
        // The library sleeps FIRST_DELAY_MS × 2^(attempt-1) (capped) before the next attempt.
        const retryInMs = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempt - 1));
        if (Date.now() + retryInMs > deadline) return false;
        opts.log.warn({ waiting_for: what, target, attempt, retry_in_ms: retryInMs, err: err.message }, `waiting for ${what} to be reachable`);
        return true;
      },
    });
  } catch (err) {
    const waited = Math.round((Date.now() - started) / 1000);
    throw new DependencyUnreachableError(
      `${what} is not reachable at ${target} (${(err as Error).message}); gave up after ${waited} s (STARTUP_WAIT_SECONDS=${opts.waitSeconds}). ${opts.hint}`,
    );
  }
  if (Date.now() - started > 1000) opts.log.info({ waited_for: what, target, waited_ms: Date.now() - started }, `${what} is reachable`);
}
