import type { NextFunction, Request, Response } from 'express';
import { ApiError, apiError, rateLimitError } from './errors';
import { newId } from './ids';
import type { IdempotencyStore, StoredResponse } from './idempotency';
import type { ApiCall, RequestInfo } from './context';
import { DEFAULT_API_VERSION } from './context';
import { asParams, type Params } from './params';

export type Handler = (call: ApiCall) => unknown;

declare module 'express-serve-static-core' {
  interface Locals {
    apiKey?: string;
    requestId?: string;
  }
}

function send(res: Response, status: number, body: string, replayed = false): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json');
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.end(body);
}

export function sendError(res: Response, err: ApiError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  send(res, err.status, JSON.stringify({ error: err.body }));
}

function render(err: unknown): StoredResponse {
  if (err instanceof ApiError) return { status: err.status, body: JSON.stringify({ error: err.body }) };
  return { status: 500, body: JSON.stringify({ error: apiError().body }) };
}

/** Only outcomes of a request that got to run are saved: validation errors and 429s are not (as on Stripe). */
function worthSaving(r: StoredResponse): boolean {
  return r.status < 400 || r.status === 402 || r.status >= 500;
}

/** Adapts a resource handler: params from body+query, Stripe errors, and Idempotency-Key replay for POSTs. */
export function wrap(idempotency: IdempotencyStore, handler: Handler) {
  return async (req: Request, res: Response): Promise<void> => {
    const params: Params = req.method === 'GET' || req.method === 'DELETE' ? { ...asParams(req.query), ...asParams(req.body) } : asParams(req.body);
    const key = req.method === 'POST' ? req.get('idempotency-key') : undefined;
    const info: RequestInfo = {
      id: res.locals.requestId ?? null,
      idempotencyKey: key ?? null,
      apiVersion: req.get('stripe-version') ?? DEFAULT_API_VERSION,
    };
    const run = async (): Promise<StoredResponse> => {
      try {
        const stripeAccount = req.get('stripe-account') || null;
        const body = await handler({ params, path: req.params as Record<string, string>, info, req, stripeAccount });
        return { status: 200, body: JSON.stringify(body) };
      } catch (err) {
        if (!(err instanceof ApiError)) req.app.locals.logger?.error?.(err, 'stripe emulator: handler failed');
        return render(err);
      }
    };
    if (!key) {
      const r = await run();
      return send(res, r.status, r.body);
    }
    if (key.length > 255) return sendError(res, new ApiError(400, { type: 'invalid_request_error', message: 'Idempotency-Key must be at most 255 characters long.' }));
    const scope = `${res.locals.apiKey ?? ''}\u0000${req.get('stripe-account') ?? ''}\u0000${key}`;
    const fingerprint = `${req.method} ${req.path}\n${JSON.stringify(req.body ?? {})}`;
    for (;;) {
      const existing = idempotency.get(scope);
      if (!existing) break;
      if (existing.fingerprint !== fingerprint) {
        return sendError(res, new ApiError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        }));
      }
      const saved = await existing.result;
      if (saved) return send(res, saved.status, saved.body, true);
      // The first attempt saved nothing; loop to claim the key ourselves (or wait on whoever did).
    }
    const settle = idempotency.begin(scope, fingerprint);
    const r = await run();
    settle(worthSaving(r) ? r : null);
    res.setHeader('Idempotency-Key', key);
    send(res, r.status, r.body);
  };
}

/** Bearer or Basic (key as user name), test-mode secret or restricted keys only. */
export function authenticate(req: Request, res: Response, next: NextFunction): void {
  const header = req.get('authorization') ?? '';
  let key: string | undefined;
  if (header.startsWith('Bearer ')) key = header.slice(7).trim();
  else if (header.startsWith('Basic ')) key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0];
  if (!key) {
    return sendError(res, new ApiError(401, {
      type: 'invalid_request_error',
      message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    }));
  }
  if (!/^(sk|rk)_test_\w+$/.test(key)) {
    return sendError(res, new ApiError(401, {
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    }));
  }
  res.locals.apiKey = key;
  next();
}

export function requestId(_req: Request, res: Response, next: NextFunction): void {
  const id = newId('req_', 14);
  res.locals.requestId = id;
  res.setHeader('Request-Id', id);
  next();
}

/** Fixed one-second window across the whole account, as Stripe counts operations per second. */
export class RateLimiter {
  private window = 0;
  private count = 0;

  constructor(public opsPerSecond: number) {}

  middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.opsPerSecond > 0) {
      const w = Math.floor(Date.now() / 1000);
      if (w !== this.window) {
        this.window = w;
        this.count = 0;
      }
      if (++this.count > this.opsPerSecond) return sendError(res, rateLimitError());
    }
    next();
  };
}
