import { newId, nowSeconds } from './ids';
import type { RequestInfo } from './context';
import type { StripeObject } from './store';

export interface StoredEvent {
  id: string;
  type: string;
  created: number;
  /** Serialised once at emit time: it is the snapshot, the webhook body and the GET answer. */
  json: string;
}

export interface Dispatcher {
  /** How many endpoints want this type: Stripe reports it as `pending_webhooks`. */
  matching(type: string): number;
  deliver(event: StoredEvent): void;
}

/** Keeps the most recent events (bounded: a benchmark emits thousands per second) and hands each to the webhook dispatcher. */
export class EventBus {
  private events = new Map<string, StoredEvent>();
  private dispatcher: Dispatcher | null = null;

  constructor(
    private readonly maxEvents = 50_000,
    private readonly defaultApiVersion = '2026-10-28.endive',
  ) {}

  setDispatcher(dispatcher: Dispatcher): void {
    this.dispatcher = dispatcher;
  }

  /** `account` is set on events that happened on a connected account (Connect webhooks carry it). */
  emit(type: string, object: StripeObject, info: RequestInfo | null, previous?: Record<string, unknown>, account?: string): StoredEvent {
    const id = newId('evt_');
    const created = nowSeconds();
    const event = {
      id,
      object: 'event',
      ...(account ? { account } : {}),
      api_version: info?.apiVersion ?? this.defaultApiVersion,
      created,
      data: previous ? { object, previous_attributes: previous } : { object },
      livemode: false,
      pending_webhooks: 0,
      request: { id: info?.id ?? null, idempotency_key: info?.idempotencyKey ?? null },
      type,
    };
    event.pending_webhooks = this.dispatcher?.matching(type) ?? 0;
    const stored: StoredEvent = { id, type, created, json: JSON.stringify(event) };
    this.events.set(id, stored);
    if (event.pending_webhooks > 0) this.dispatcher?.deliver(stored);
    if (this.events.size > this.maxEvents) {
      const oldest = this.events.keys().next().value;
      if (oldest !== undefined) this.events.delete(oldest);
    }
    return stored;
  }

  get(id: string): StoredEvent | undefined {
    return this.events.get(id);
  }

  all(): IterableIterator<StoredEvent> {
    return this.events.values();
  }

  clear(): void {
    this.events.clear();
  }
}
