import { ADMIN, type BenchStack } from './stack';
import type { EmulatorSummary } from './invariants';

/** Setting up the shop and its buyers, and putting posts on X's stream at a pace. */
async function call<T>(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function must<T>(what: string, p: Promise<{ status: number; body: T }>, status = 201): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

/** `newcomers`: X users without a card, who make the first posts (one each). */
export interface Shop { hashtag: string; productId: string; buyers: string[]; newcomers: string[] }

/** A merchant, one product and `buyers` X users linked to test cards; resolves once ingest has the rule. */
/** `unlinked`: X users without a card who post first, once each (each gets a signup link: a reply they must act on). */
export async function setupShop(s: BenchStack, opts: { buyers: number; inventory: number | null; hashtag?: string; unlinked?: number }): Promise<Shop> {
  const hashtag = opts.hashtag ?? 'BuyBenchMug';
  const m = await must<{ api_key: string }>('merchant', call(`${s.apiUrl}/v1/merchants`, { token: ADMIN, body: { name: 'Bench Mugs' } }));
  const p = await must<{ id: string }>('product', call(`${s.apiUrl}/v1/products`, {
    token: m.api_key, body: { name: 'Bench Mug', hashtag, unit_amount: 1200, currency: 'usd', shipping: 'none', ...(opts.inventory !== null ? { inventory: opts.inventory } : {}) },
  }));
  const buyers: string[] = [];
  const run = async (i: number) => {
    const username = `b${s.id.slice(-6)}${i}`.slice(0, 15);
    const u = await must<{ id: string }>('x user', call(`${s.emu.xUrl}/_emulator/users`, { body: { username } }));
    await must('link buyer', call(`${s.apiUrl}/v1/sandbox/buyers`, { token: ADMIN, body: { x_user_id: u.id, x_username: username, payment_method: 'pm_card_visa', email: `${username}@example.com` } }));
    buyers.push(u.id);
  };
  for (let i = 0; i < opts.buyers; i += 16) await Promise.all(Array.from({ length: Math.min(16, opts.buyers - i) }, (_, k) => run(i + k)));
  const newcomers: string[] = [];
  for (let i = 0; i < (opts.unlinked ?? 0); i++) {
    const u = await must<{ id: string }>('x user', call(`${s.emu.xUrl}/_emulator/users`, { body: { username: `n${s.id.slice(-6)}${i}`.slice(0, 15) } }));
    newcomers.push(u.id);
  }
  const until = Date.now() + 30_000;
  for (;;) {
    const rules = await call<{ data?: Array<{ value: string }> }>(`${s.emu.xUrl}/_emulator/rules`);
    if ((rules.body.data ?? []).some((r) => r.value.toLowerCase().includes(`#${hashtag.toLowerCase()}`))) break;
    if (Date.now() > until) throw new Error(`no stream rule for #${hashtag} after 30 s`);
    await sleep(100);
  }
  return { hashtag, productId: p.id, buyers, newcomers };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Poster {
  sent = 0;
  firstAt = 0;
  lastAt = 0;
  private next = 0;
  constructor(private readonly s: BenchStack, private readonly shop: Shop) {}

  /** Injects n posts (one bulk call); authors rotate over the linked buyers. */
  async post(n: number): Promise<void> {
    if (n <= 0) return;
    const first = this.shop.newcomers.length;
    const authorOf = (i: number) => (i < first ? this.shop.newcomers[i] : this.shop.buyers[(i - first) % this.shop.buyers.length]);
    const tweets = Array.from({ length: n }, () => ({ author_id: authorOf(this.next++), text: `@shop #${this.shop.hashtag}` }));
    const r = await call<{ data: unknown[] }>(`${this.s.emu.xUrl}/_emulator/tweets/bulk`, { body: { tweets } });
    if (r.status !== 201) throw new Error(`bulk post: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    if (!this.firstAt) this.firstAt = Date.now();
    this.sent += n;
    this.lastAt = Date.now();
  }

  /** Open loop: `rate` posts per second for `seconds`, in batches every `tickMs`. Returns the achieved rate. */
  async paced(rate: number, seconds: number, tickMs = 50): Promise<number> {
    const t0 = Date.now();
    const total = Math.round(rate * seconds);
    while (this.sent < total) {
      const due = Math.min(total, Math.floor((rate * (Date.now() - t0)) / 1000) + 1);
      await this.post(Math.min(2000, due - this.sent));
      const wait = t0 + (this.sent / rate) * 1000 - Date.now();
      await sleep(Math.max(0, Math.min(tickMs, wait)));
    }
    return this.sent / Math.max(0.001, (this.lastAt - t0) / 1000 || seconds);
  }

  /** Closed loop for `seconds`: keeps at most `window` posts without a reply in flight. */
  async saturate(seconds: number, window: number, replied: () => Promise<number>): Promise<void> {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const inFlight = this.sent - (await replied());
      await this.post(Math.min(1000, window - inFlight));
      await sleep(250);
    }
  }
}

export async function emulatorStats(s: BenchStack): Promise<Pick<EmulatorSummary, 'statuses' | 'intents_per_second'> & { replies_total: number }> {
  return (await call<EmulatorSummary>(`${s.emu.statsUrl}/stats`)).body;
}

export async function emulatorSummary(s: BenchStack): Promise<EmulatorSummary> {
  return (await call<EmulatorSummary>(`${s.emu.statsUrl}/summary`)).body;
}

export async function stripeConfig(s: BenchStack, opsPerSecond: number): Promise<void> {
  await must('stripe config', call(`${s.emu.stripeUrl}/_emulator/config`, { body: { ops_per_second: opsPerSecond } }), 200);
}

/** Polls PostgreSQL until every sent post has an outcome, no order is mid-charge and (unless told) no reply is pending. */
export async function drained(s: BenchStack, sent: number, timeoutMs: number, opts: { replies: boolean } = { replies: true }): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { rows } = await s.db.query(`SELECT (SELECT count(*)::int FROM posts) AS posts,
        (SELECT count(*)::int FROM orders WHERE status IN ('reserved', 'charging')) AS unsettled,
        (SELECT count(*)::int FROM replies WHERE status = 'pending') AS pending,
        (SELECT count(*)::int FROM replies) AS replies, (SELECT count(*)::int FROM orders) AS orders`);
    const r = rows[0] as { posts: number; unsettled: number; pending: number; replies: number; orders: number };
    if (r.posts >= sent && r.unsettled === 0 && (!opts.replies || (r.pending === 0 && r.replies >= r.orders))) return true;
    // Each poll is a few count(*) scans: once a second keeps the bench's own load on PostgreSQL small.
    await sleep(1000);
  }
  return false;
}
