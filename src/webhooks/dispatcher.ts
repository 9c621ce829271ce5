import type { Db } from '../db/pool';
import { withTransaction } from '../db/pool';
import type { Logger } from '../logger';
import { randomBase62 } from '../ids';
import { publicType } from '../events/catalogue';
import { presentEvents } from '../events/events.present';
import type { EventRow } from '../events/events.repository';
import type { SecretBox } from './secret-box';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import { checkEndpointUrl, type UrlPolicy } from './url-policy';
import { postPinned } from './post-pinned';
import {
  claimDueDeliveries, insertDeliveries, lockUndispatched, markDispatched, recordFailure, recordSuccess, subscribedEndpoints, type ClaimedDelivery,
} from './deliveries.repository';

/**
 * The retry schedule: attempt n waits base × 2^(n-1) (at most maxMs), scaled by a random
 * 50-100 % (jitter, so a receiver that comes back is not hit by every delivery at once), for
 * windowMs after the event; an endpoint failing for a whole window is disabled.
 */
export interface RetrySchedule {
  baseMs: number;
  maxMs: number;
  windowMs: number;
  timeoutMs: number;
}

export const RETRY_SCHEDULE: RetrySchedule = {
  baseMs: 60_000,
  maxMs: 6 * 3600_000,
  windowMs: 3 * 24 * 3600_000,
  timeoutMs: 10_000,
};

export function retryDelayMs(attempt: number, s: Pick<RetrySchedule, 'baseMs' | 'maxMs'>, random = Math.random): number {
  const full = Math.min(s.maxMs, s.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(full * (0.5 + random() / 2));
}

export interface DispatcherDeps {
  db: Db;
  box: SecretBox;
  policy: UrlPolicy;
  log: Logger;
  schedule?: RetrySchedule;
  pollMs?: number;
  batch?: number;
  concurrency?: number;
  /** Each attempt's outcome and how long the receiver took (metrics). */
  onDelivery?: (outcome: DeliveryOutcome, latencyMs: number) => void;
  /** An endpoint was disabled after failing for the whole retry window (metrics). */
  onEndpointDisabled?: () => void;
}

/** delivered: 2xx; failed: retried later; gave_up: the retry window is over. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'gave_up';

const windowText = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} days` : ms % 3_600_000 === 0 ? `${ms / 3_600_000} hours` : `${ms} ms`);

export function createDispatcher(d: DispatcherDeps) {
  const schedule = d.schedule ?? RETRY_SCHEDULE;
  const batch = d.batch ?? 200;
  const concurrency = d.concurrency ?? 16;

  /** Writes each new event's payload once and one delivery per subscribed endpoint, in one transaction. */
  async function fanOut(): Promise<number> {
    return withTransaction(d.db, async (tx) => {
      const rows = await lockUndispatched(tx, batch);
      if (!rows.length) return 0;
      const visible = rows.filter((r) => publicType(r.type));
      const envelopes = new Map((await presentEvents(tx, visible as unknown as EventRow[])).map((e, i) => [visible[i]!.id, e]));
      await markDispatched(tx, rows.map((r) => r.id), rows.map((r) => (envelopes.get(r.id) as unknown as Record<string, unknown>) ?? null));
      const endpoints = visible.length ? await subscribedEndpoints(tx, [...new Set(visible.map((r) => r.merchant_id))]) : [];
      const deliveries = visible.flatMap((r) => {
        const type = publicType(r.type)!;
        return endpoints
          .filter((w) => w.merchant_id === r.merchant_id && (w.enabled_events.includes('*') || w.enabled_events.includes(type)))
          .map((w) => ({ id: `wd_${randomBase62(20)}`, endpointId: w.id, eventId: r.id }));
      });
      await insertDeliveries(tx, deliveries);
      return rows.length;
    });
  }

  async function attempt(c: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(c.payload);
    const secrets = [d.box.open(c.secret_box)];
    if (c.previous_secret_box && c.previous_secret_expires_at && c.previous_secret_expires_at > new Date()) secrets.push(d.box.open(c.previous_secret_box));
    // Checked again now (DNS may have changed since the endpoint was created), and the request goes to the address checked.
    const verdict = await checkEndpointUrl(c.url, d.policy);
    const result = verdict.ok
      ? await postPinned(verdict.url, verdict.addresses, { [SIGNATURE_HEADER]: signatureHeader(body, secrets), 'User-Agent': 'HashtagCheckout-Webhooks/1' }, body, schedule.timeoutMs)
      : { latencyMs: 0, error: verdict.reason, statusCode: undefined };
    const log = { delivery_id: c.id, endpoint_id: c.endpoint_id, event_id: c.payload.id, attempt: c.attempts, status_code: result.statusCode, latency_ms: result.latencyMs };
    if (result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300) {
      await recordSuccess(d.db, c, result.statusCode, result.latencyMs);
      d.onDelivery?.('delivered', result.latencyMs);
      d.log.info(log, 'webhook delivered');
      return;
    }
    const error = result.error ?? `endpoint answered ${result.statusCode}`;
    const outcome = await recordFailure(d.db, c, {
      statusCode: result.statusCode ?? null,
      latencyMs: verdict.ok ? result.latencyMs : null,
      error,
      retryAt: new Date(Date.now() + retryDelayMs(c.attempts, schedule)),
      windowMs: schedule.windowMs,
      disabledReason: `Disabled after deliveries failed for ${windowText(schedule.windowMs)}`,
    });
    d.onDelivery?.(outcome.gaveUp ? 'gave_up' : 'failed', result.latencyMs);
    if (outcome.endpointDisabled) d.onEndpointDisabled?.();
    d.log.warn({ ...log, error, gave_up: outcome.gaveUp, endpoint_disabled: outcome.endpointDisabled }, 'webhook delivery failed');
  }

  async function deliverDue(): Promise<number> {
    const claimed = await claimDueDeliveries(d.db, concurrency, schedule.timeoutMs + 20_000);
    await Promise.all(claimed.map((c) => attempt(c).catch((err) => d.log.error({ delivery_id: c.id, err: (err as Error).message }, 'webhook attempt crashed'))));
    return claimed.length;
  }

  /** Fans out everything new, then delivers what is due until nothing is left for now. */
  async function runOnce(): Promise<void> {
    while ((await fanOut()) === batch);
    while ((await deliverDue()) === concurrency);
  }

  return { fanOut, deliverDue, runOnce };
}

/**
 * The worker role's loop. PostgreSQL holds every delivery and its schedule; this only wakes it up.
 * Paused (matching first, during a flash sale's wave), it skips its rounds: the events wait in
 * PostgreSQL and go out a few seconds later, and the CPU goes to deciding the posts.
 */
export function startDispatcher(d: DispatcherDeps): { stop(): Promise<void>; runOnce(): Promise<void>; pause(): void; resume(): void } {
  const dispatcher = createDispatcher(d);
  const pollMs = d.pollMs ?? 1000;
  let stopped = false;
  let paused = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (paused ? Promise.resolve() : dispatcher.runOnce())
      .catch((err) => d.log.error({ err: (err as Error).message }, 'webhook dispatcher failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };
  timer = setTimeout(tick, pollMs);
  return {
    runOnce: dispatcher.runOnce,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
