import type { XIngestErrorKind } from '../x/x.ingest';

/** X's advice for reconnecting to the stream (and for retrying its REST calls). */
export interface BackoffOptions {
  /** Network errors: linear, this much more per attempt ... */
  networkStepMs: number;
  /** ... up to this. */
  networkMaxMs: number;
  /** HTTP errors: exponential from ... */
  httpStartMs: number;
  httpMaxMs: number;
  /** 429: exponential from ... */
  rateLimitStartMs: number;
  rateLimitMaxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  networkStepMs: 250,
  networkMaxMs: 16_000,
  httpStartMs: 5_000,
  httpMaxMs: 320_000,
  rateLimitStartMs: 60_000,
  rateLimitMaxMs: 960_000,
};

export class Backoff {
  private attempts: Record<XIngestErrorKind, number> = { network: 0, http: 0, rate_limit: 0 };

  constructor(private readonly o: BackoffOptions) {}

  next(kind: XIngestErrorKind): number {
    const n = ++this.attempts[kind];
    if (kind === 'network') return Math.min(this.o.networkStepMs * n, this.o.networkMaxMs);
    if (kind === 'http') return Math.min(this.o.httpStartMs * 2 ** (n - 1), this.o.httpMaxMs);
    return Math.min(this.o.rateLimitStartMs * 2 ** (n - 1), this.o.rateLimitMaxMs);
  }

  reset(): void {
    this.attempts = { network: 0, http: 0, rate_limit: 0 };
  }
}

/** Resolves after ms, or at once (false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Delay before the next recent-search request so the window's remaining budget lasts until it
 * resets, keeping `reserve` requests for other callers of the same app budget (reply checks).
 */
export function paceDelay(rl: { remaining: number; resetAt: number } | null, minMs: number, reserve: number, now = Date.now()): number {
  if (!rl) return minMs;
  const untilReset = Math.max(0, rl.resetAt - now);
  const usable = rl.remaining - reserve;
  if (usable <= 0) return Math.max(minMs, untilReset + 250);
  return Math.max(minMs, Math.ceil(untilReset / usable));
}
