export interface StoredResponse {
  status: number;
  body: string;
}

interface Entry {
  fingerprint: string;
  at: number;
  /** Settles with the saved response, or null when the first attempt left nothing to replay. */
  result: Promise<StoredResponse | null>;
}

const TTL_MS = 24 * 3600 * 1000;

/**
 * Stripe keeps keys 24 h. stripe-node puts a key on every POST, so the table is also capped
 * by count (oldest first) to keep a long benchmark from growing it without bound.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 200_000) {}

  get(scope: string): Entry | undefined {
    const e = this.entries.get(scope);
    if (e && Date.now() - e.at > TTL_MS) {
      this.entries.delete(scope);
      return undefined;
    }
    return e;
  }

  /** Claims the key; the returned callback settles every request waiting on it. */
  begin(scope: string, fingerprint: string): (result: StoredResponse | null) => void {
    let settle!: (r: StoredResponse | null) => void;
    const result = new Promise<StoredResponse | null>((resolve) => (settle = resolve));
    this.entries.set(scope, { fingerprint, at: Date.now(), result });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return (r) => {
      // Nothing saved means a later request with this key runs afresh, as on Stripe.
      if (r === null) this.entries.delete(scope);
      settle(r);
    };
  }

  clear(): void {
    this.entries.clear();
  }
}
