import type { Runtime } from '../runtime';
import type { ChargeOutcome } from '../ops/charge-hook';
import type { DeliveryOutcome } from '../webhooks/dispatcher';

/**
 * What the worker role offers the process that starts it. Its code lives in workers/ (the role's
 * composition root), which src/ never imports: the process entry hands `startWorkers` to main.
 */
export interface WorkerHooks {
  onPostOutcome?: (outcome: string, reason: string | null) => void;
  onReplyOutcome?: (outcome: 'posted' | 'refused' | 'rate_limited' | 'error') => void;
  onReplyRateLimit?: (remaining: number, resetAt: number) => void;
  /** Each charge attempt with its duration (metrics). */
  onCharge?: (outcome: ChargeOutcome, seconds: number) => void;
  /** A job's first start, with how long it waited in its queue (metrics). */
  onJobStarted?: (queue: string, waitedMs: number) => void;
  /** Each merchant webhook attempt and its latency; an endpoint disabled (metrics). */
  onWebhookDelivery?: (outcome: DeliveryOutcome, latencyMs: number) => void;
  onWebhookEndpointDisabled?: () => void;
}

export interface RunningWorkers {
  workers: Array<{ name: string; isRunning(): boolean }>;
  /** Drains in-flight jobs for at most drainMs, then gives up on them (their locks lapse). */
  stop(drainMs?: number): Promise<void>;
}

export type StartWorkers = (rt: Runtime, hooks?: WorkerHooks) => Promise<RunningWorkers>;
