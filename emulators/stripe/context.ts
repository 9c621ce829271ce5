import type { Request } from 'express';
import type { ApiError } from './errors';
import type { Params } from './params';
import type { Store } from './store';
import type { EventBus } from './events';

export const DEFAULT_API_VERSION = '2026-10-28.endive';

export interface Logger {
  info: (...args: unknown[]) => void;
  warn: (...args: unknown[]) => void;
  error: (...args: unknown[]) => void;
}

/** Who asked: stamped on events as `request: {id, idempotency_key}`. */
export interface RequestInfo {
  id: string | null;
  idempotencyKey: string | null;
  apiVersion: string;
}

export interface Ctx {
  store: Store;
  events: EventBus;
  logger: Logger;
  publicUrl: () => string;
}

export interface ApiCall {
  params: Params;
  path: Record<string, string>;
  info: RequestInfo;
  req: Request;
  /** The `Stripe-Account` header: the connected account the request acts on, or null for the platform. */
  stripeAccount: string | null;
}

export type ApiResult = { status: number; body: unknown } | ApiError;
