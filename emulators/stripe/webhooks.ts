import http from 'node:http';
import https from 'node:https';
import { createHmac } from 'node:crypto';
import type { Dispatcher, StoredEvent } from './events';
import type { Logger } from './context';
import type { WebhookEndpoint } from './store';
import { newId, nowSeconds, randomSuffix } from './ids';

export interface DeliveryRecord {
  event_id: string;
  event_type: string;
  endpoint_id: string;
  url: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  state: 'pending' | 'delivered' | 'failed';
  next_attempt_at: number | null;
}

interface Job {
  record: DeliveryRecord;
  event: StoredEvent;
  endpoint: WebhookEndpoint;
}

export interface DispatcherOptions {
  retryBaseMs: number;
  maxAttempts: number;
  timeoutMs: number;
  concurrency: number;
  logger: Logger;
}

const MAX_RECORDS = 20_000;

/**
 * Delivers events to endpoints off the request path: a FIFO drained by a bounded number of
 * in-flight POSTs over keep-alive sockets, so a burst of events never opens a socket each.
 */
export class WebhookDispatcher implements Dispatcher {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  private readonly configured = new Set<string>();
  private readonly records = new Map<string, DeliveryRecord>();
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly opts: DispatcherOptions) {}

  addEndpoint(input: { url: string; secret?: string; enabled_events?: string[]; description?: string | null; metadata?: Record<string, string> }, configured = false): WebhookEndpoint {
    const endpoint: WebhookEndpoint = {
      id: newId('we_'),
      object: 'webhook_endpoint',
      api_version: null,
      application: null,
      created: nowSeconds(),
      description: input.description ?? null,
      enabled_events: input.enabled_events?.length ? input.enabled_events : ['*'],
      livemode: false,
      metadata: input.metadata ?? {},
      secret: input.secret ?? `whsec_${randomSuffix(32)}`,
      status: 'enabled',
      url: input.url,
    };
    this.endpoints.set(endpoint.id, endpoint);
    if (configured) this.configured.add(endpoint.id);
    return endpoint;
  }

  deleteEndpoint(id: string): boolean {
    this.configured.delete(id);
    return this.endpoints.delete(id);
  }

  /** Forget everything but the endpoints given at start-up. */
  reset(): void {
    for (const id of this.endpoints.keys()) if (!this.configured.has(id)) this.endpoints.delete(id);
    this.records.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private wants(endpoint: WebhookEndpoint, type: string): boolean {
    return endpoint.status === 'enabled' && (endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type));
  }

  matching(type: string): number {
    let n = 0;
    for (const e of this.endpoints.values()) if (this.wants(e, type)) n++;
    return n;
  }

  deliver(event: StoredEvent): void {
    for (const endpoint of this.endpoints.values()) {
      if (!this.wants(endpoint, event.type)) continue;
      const record: DeliveryRecord = {
        event_id: event.id,
        event_type: event.type,
        endpoint_id: endpoint.id,
        url: endpoint.url,
        attempts: 0,
        last_status: null,
        last_error: null,
        state: 'pending',
        next_attempt_at: null,
      };
      this.records.set(`${event.id}:${endpoint.id}`, record);
      if (this.records.size > MAX_RECORDS) {
        const oldest = this.records.keys().next().value;
        if (oldest !== undefined) this.records.delete(oldest);
      }
      this.queue.push({ record, event, endpoint });
    }
    this.pump();
  }

  deliveries(): DeliveryRecord[] {
    return Array.from(this.records.values());
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry (tests and the benchmark). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.queueHead >= this.queue.length && this.timers.size === 0;
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.opts.concurrency && this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead++]!;
      this.inFlight++;
      void this.attempt(job).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async attempt(job: Job): Promise<void> {
    const { record, event, endpoint } = job;
    if (!this.endpoints.has(endpoint.id)) return;
    record.attempts++;
    record.next_attempt_at = null;
    try {
      const status = await this.post(endpoint, event.json);
      record.last_status = status;
      record.last_error = null;
      if (status >= 200 && status < 300) {
        record.state = 'delivered';
        return;
      }
    } catch (err) {
      record.last_status = null;
      record.last_error = err instanceof Error ? err.message : String(err);
    }
    if (record.attempts >= this.opts.maxAttempts || this.closed) {
      record.state = 'failed';
      this.opts.logger.warn({ event: event.id, url: endpoint.url }, 'stripe emulator: webhook delivery given up');
      return;
    }
    // Exponential backoff, capped at 64x the base (about a minute by default).
    const delay = this.opts.retryBaseMs * 2 ** Math.min(record.attempts - 1, 6);
    record.next_attempt_at = Date.now() + delay;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queue.push(job);
      this.pump();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private post(endpoint: WebhookEndpoint, body: string): Promise<number> {
    const t = nowSeconds();
    const signature = createHmac('sha256', endpoint.secret ?? '').update(`${t}.${body}`).digest('hex');
    const url = new URL(endpoint.url);
    const isHttps = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(
        url,
        {
          method: 'POST',
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          timeout: this.opts.timeoutMs,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'stripe-signature': `t=${t},v1=${signature}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.opts.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
