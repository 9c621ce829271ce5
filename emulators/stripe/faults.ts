import type { NextFunction, Request, Response } from 'express';
import { ApiError, apiError, rateLimitError } from './errors';
import { sendError } from './api';
import { newId } from './ids';

export interface Fault {
  id: string;
  latency_ms: number;
  status: number | null;
  drop: boolean;
  /** Lock-timeout style 429/409: answers `Stripe-Should-Retry: true`, which stripe-node honours. */
  should_retry: boolean | null;
  remaining: number;
  path: string | null;
  method: string | null;
}

export function parseFault(body: Record<string, unknown>): Fault | string {
  const num = (v: unknown) => (v === undefined || v === null ? undefined : Number(v));
  const latency = num(body.latency_ms) ?? 0;
  const status = num(body.status);
  const count = num(body.count) ?? 1;
  if (!Number.isFinite(latency) || latency < 0) return 'latency_ms must be a non-negative number';
  if (status !== undefined && (!Number.isInteger(status) || status < 400 || status > 599)) return 'status must be an HTTP error status (400-599)';
  if (!Number.isInteger(count) || count < 1) return 'count must be a positive integer';
  if (!latency && status === undefined && !body.drop) return 'a fault needs latency_ms, status or drop';
  return {
    id: newId('flt_', 12),
    latency_ms: latency,
    status: status ?? null,
    drop: Boolean(body.drop),
    should_retry: typeof body.should_retry === 'boolean' ? body.should_retry : null,
    remaining: count,
    path: typeof body.path === 'string' && body.path ? body.path : null,
    method: typeof body.method === 'string' && body.method ? body.method.toUpperCase() : null,
  };
}

function faultError(status: number): ApiError {
  if (status === 429) return rateLimitError();
  if (status >= 500) return apiError(status);
  return new ApiError(status, { type: 'invalid_request_error', message: `Injected fault: HTTP ${status}.` });
}

/** Faults are consumed in the order they were added; each matches the next `count` requests. */
export class Faults {
  list: Fault[] = [];

  add(f: Fault): void {
    this.list.push(f);
  }

  clear(): void {
    this.list = [];
  }

  private take(req: Request): Fault | undefined {
    // Mounted under /v1, so req.path has lost the prefix that fault paths are written with.
    const path = req.baseUrl + req.path;
    const i = this.list.findIndex((f) => (!f.method || f.method === req.method) && (!f.path || path.includes(f.path)));
    if (i < 0) return undefined;
    const f = this.list[i]!;
    if (--f.remaining <= 0) this.list.splice(i, 1);
    return f;
  }

  middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.list.length === 0) return next();
    const fault = this.take(req);
    if (!fault) return next();
    const act = () => {
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status === null) return next();
      const err = faultError(fault.status);
      if (fault.should_retry !== null) res.setHeader('Stripe-Should-Retry', String(fault.should_retry));
      sendError(res, err);
    };
    if (fault.latency_ms > 0) setTimeout(act, fault.latency_ms);
    else act();
  };
}
