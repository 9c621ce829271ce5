import type { NextFunction, Request, Response } from 'express';
import { genericProblem } from './problems';

export interface Fault {
  id: number;
  /** Exact request path ("/2/tweets"), or a prefix ending in "*"; absent = every API path. */
  path?: string;
  method?: string;
  status?: number;
  latency_ms?: number;
  /** Never answers: the request is held open until faults are cleared or the emulator resets. */
  stall?: boolean;
  remaining: number;
}

/** Injected failures and delays for the next N matching API requests. */
export class FaultInjector {
  private faults: Fault[] = [];
  private seq = 0;
  private held = new Set<Response>();

  add(input: { path?: string; method?: string; status?: number; latency_ms?: number; stall?: boolean; count?: number }): Fault {
    const fault: Fault = { id: ++this.seq, remaining: input.count ?? 1 };
    if (input.path) fault.path = input.path;
    if (input.method) fault.method = input.method.toUpperCase();
    if (input.status !== undefined) fault.status = input.status;
    if (input.latency_ms !== undefined) fault.latency_ms = input.latency_ms;
    if (input.stall) fault.stall = true;
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Stalled requests still held open. */
  stalled(): number {
    return this.held.size;
  }

  /** Removes every fault; stalled requests end with their connection cut (they never get an answer). */
  clear(): void {
    this.faults = [];
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  private take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => {
      if (f.method && f.method !== method) return false;
      if (!f.path) return true;
      return f.path.endsWith('*') ? path.startsWith(f.path.slice(0, -1)) : f.path === path;
    });
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (req.path.startsWith('/_emulator')) return next();
      const fault = this.take(req.method, req.path);
      if (!fault) return next();
      if (fault.stall) {
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      }
      if (fault.latency_ms) await new Promise((r) => setTimeout(r, fault.latency_ms));
      if (!fault.status) return next();
      if (fault.status === 429) {
        res.setHeader('x-rate-limit-limit', '1');
        res.setHeader('x-rate-limit-remaining', '0');
        res.setHeader('x-rate-limit-reset', String(Math.ceil(Date.now() / 1000) + 15 * 60));
        res.status(429).json({ title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
        return;
      }
      res.status(fault.status).json(genericProblem(fault.status));
    };
  }
}
