import { eventually, startStack, type Stack } from './stack';

/**
 * Fault injection against the real processes: purchase posts stream in while the worker is
 * SIGKILLed `workerKills` times and the api `apiKills` times at seeded random moments (each
 * restarted at once, as a supervisor would), then the pipeline's promises are checked against
 * PostgreSQL and both emulators. Shared by the suite's bounded test and `npm run chaos`.
 */
export interface ChaosOptions {
  posts: number;
  workerKills: number;
  apiKills: number;
  seed: number;
  /** How fast posts arrive. */
  postsPerSecond?: number;
  /** How long the pipeline gets, after the last post and the last restart, to settle everything. */
  settleBoundMs?: number;
  log?: (line: string) => void;
}

export interface Check { ok: boolean; [detail: string]: unknown }

export interface ChaosSummary {
  ok: boolean;
  seed: number;
  posts: number;
  kills: Array<{ role: string; at_ms: number }>;
  invariants: Record<string, Check>;
  timings: { inject_ms: number; settle_ms: number; total_ms: number; settle_bound_ms: number };
  outcomes: Record<string, number>;
  order_statuses: Record<string, number>;
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type BuyerKind = 'linked' | 'declines' | 'unknown';
/** What a settled order of each kind of buyer looks like (a sold-out product aside). */
const SETTLED: Record<BuyerKind, string> = { linked: 'paid', declines: 'failed', unknown: 'awaiting_signup' };
const RARE_STOCK = 15;

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const log = opts.log ?? (() => undefined);
  const random = rng(opts.seed);
  const started = Date.now();
  // A killed worker's jobs are taken up again after 3 s; the sweep is not what heals this run.
  const s = await startStack({ env: { JOB_LOCK_MS: '3000' } });
  try {
    await s.start('api');
    await s.start('ingest');
    await s.start('worker');
    const { apiKey } = await s.createMerchant('Chaos Mugs');
    const plenty = await s.createProduct(apiKey, { name: 'Chaos Mug', hashtag: 'BuyChaosMug', unit_amount: 1000, currency: 'usd' });
    const rare = await s.createProduct(apiKey, { name: 'Rare Mug', hashtag: 'BuyRareMug', unit_amount: 2500, currency: 'usd', inventory: RARE_STOCK, waitlist: false });
    await eventually(() => ['#BuyChaosMug', '#BuyRareMug'].every((t) => s.x.rules().some((r) => r.value.includes(t))), 20_000, 'stream rules');

    const buyers: Array<{ id: string; kind: BuyerKind }> = [];
    for (let i = 0; i < 24; i++) buyers.push({ id: (await s.buyer(`linked${i}`)).id, kind: 'linked' });
    for (let i = 0; i < 4; i++) buyers.push({ id: (await s.buyer(`declines${i}`, 'pm_card_chargeCustomerFail')).id, kind: 'declines' });
    for (let i = 0; i < 8; i++) buyers.push({ id: (await s.buyer(`unknown${i}`, null)).id, kind: 'unknown' });

    const injectMs = Math.ceil((opts.posts / (opts.postsPerSecond ?? 25)) * 1000);
    const kills = [
      ...Array.from({ length: opts.workerKills }, () => ({ role: 'worker', at_ms: Math.round(injectMs * (0.1 + 0.8 * random())) })),
      ...Array.from({ length: opts.apiKills }, () => ({ role: 'api', at_ms: Math.round(injectMs * (0.1 + 0.8 * random())) })),
    ].sort((a, b) => a.at_ms - b.at_ms);
    const plan = Array.from({ length: opts.posts }, () => ({
      buyer: buyers[Math.floor(random() * buyers.length)]!,
      product: random() < 0.25 ? rare : plenty,
    }));

    // Kills run beside the posts, one chain per role so an api restart does not hold back a worker
    // kill; a role is restarted as soon as it is dead, as a supervisor would. A kill due while its
    // role is still restarting waits for it to be up (times below are the real ones).
    const injectStart = Date.now();
    const done: Array<{ role: string; at_ms: number }> = [];
    const chain = async (role: 'worker' | 'api') => {
      for (const k of kills.filter((x) => x.role === role)) {
        await sleep(Math.max(0, injectStart + k.at_ms - Date.now()));
        done.push({ role, at_ms: Date.now() - injectStart });
        log(`SIGKILL ${role} at ${Date.now() - injectStart} ms`);
        await s.stop(role, 'SIGKILL');
        await s.start(role);
      }
    };
    const killer = Promise.all([chain('worker'), chain('api')]);
    const sent: Array<{ id: string; kind: BuyerKind; productId: string }> = [];
    for (let i = 0; i < plan.length; i++) {
      await sleep(Math.max(0, injectStart + (i * injectMs) / plan.length - Date.now()));
      const p = plan[i]!;
      const post = s.post({ author_id: p.buyer.id, text: `@shop #${p.product.hashtag.replace(/^#/, '')}` });
      sent.push({ id: post.id, kind: p.buyer.kind, productId: p.product.id });
    }
    const injectedMs = Date.now() - injectStart;
    await killer;
    const calm = Date.now();
    log(`${sent.length} posts sent in ${injectedMs} ms; waiting for the pipeline to settle`);

    const settleBoundMs = opts.settleBoundMs ?? 90_000;
    await eventually(async () => (await unsettled(s)) === 0, settleBoundMs, 'every post and order settled').catch(() => undefined);
    const settleMs = Date.now() - calm;
    // Late duplicates (a retried reply, a second charge) would show up just after: look again a little later.
    await sleep(2000);
    const invariants = await checkInvariants(s, sent, settleMs <= settleBoundMs);
    const { outcomes, statuses } = await tallies(s);
    return {
      ok: Object.values(invariants).every((c) => c.ok),
      seed: opts.seed,
      posts: sent.length,
      kills: done,
      invariants,
      timings: { inject_ms: injectedMs, settle_ms: settleMs, total_ms: Date.now() - started, settle_bound_ms: settleBoundMs },
      outcomes,
      order_statuses: statuses,
    };
  } finally {
    await s.close();
  }
}

/** Posts without an outcome, orders mid-charge, replies not sent, Stripe events not applied. */
async function unsettled(s: Stack): Promise<number> {
  const { rows } = await s.db.query<{ n: number }>(`SELECT
      (SELECT count(*) FROM posts WHERE outcome IS NULL)
    + (SELECT count(*) FROM orders WHERE status IN ('reserved', 'charging'))
    + (SELECT count(*) FROM replies WHERE status = 'pending')
    + (SELECT count(*) FROM stripe_events WHERE processed_at IS NULL) AS n`);
  return Number(rows[0]!.n);
}

async function tallies(s: Stack): Promise<{ outcomes: Record<string, number>; statuses: Record<string, number> }> {
  const count = async (sql: string) => Object.fromEntries((await s.db.query<{ k: string; n: number }>(sql)).rows.map((r) => [r.k, Number(r.n)]));
  return {
    outcomes: await count(`SELECT coalesce(outcome, '(none)') AS k, count(*) AS n FROM posts GROUP BY 1 ORDER BY 1`),
    statuses: await count(`SELECT status AS k, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1`),
  };
}

async function checkInvariants(s: Stack, sent: Array<{ id: string; kind: BuyerKind; productId: string }>, settledInTime: boolean): Promise<Record<string, Check>> {
  const ids = sent.map((p) => p.id);
  const posts = (await s.db.query<{ tweet_id: string; outcome: string | null }>('SELECT tweet_id, outcome FROM posts WHERE tweet_id = ANY($1)', [ids])).rows;
  const orders = (await s.db.query<{ id: string; tweet_id: string; product_id: string; status: string; quantity: number }>(
    'SELECT id, tweet_id, product_id, status, quantity FROM orders WHERE tweet_id = ANY($1)', [ids])).rows;

  const withOutcome = new Set(posts.filter((p) => p.outcome).map((p) => p.tweet_id));
  const onePerPost: Check = { ok: posts.length === sent.length && withOutcome.size === sent.length, posts_sent: sent.length, posts_recorded: posts.length, without_outcome: sent.length - withOutcome.size };

  const succeeded = new Map<string, number>();
  for (const pi of s.stripe.paymentIntents()) {
    const orderId = (pi.metadata as Record<string, string> | undefined)?.order_id;
    if (orderId && pi.status === 'succeeded') succeeded.set(orderId, (succeeded.get(orderId) ?? 0) + 1);
  }
  const paid = orders.filter((o) => o.status === 'paid');
  const charges: Check = {
    ok: [...succeeded.values()].every((n) => n === 1) && paid.every((o) => succeeded.get(o.id) === 1) && succeeded.size === paid.length,
    paid_orders: paid.length, orders_with_succeeded_intent: succeeded.size, charged_twice: [...succeeded.values()].filter((n) => n > 1).length,
  };

  const shopReplies = s.x.tweets({ author_id: s.shop.id });
  const repliesPerPost = new Map<string, number>();
  for (const r of shopReplies) {
    const to = (r.referenced_tweets as Array<{ type: string; id: string }> | undefined)?.find((ref) => ref.type === 'replied_to')?.id;
    if (to) repliesPerPost.set(to, (repliesPerPost.get(to) ?? 0) + 1);
  }
  // In this run every post earns exactly one reply: a receipt, a decline, a signup link or sold out.
  const replies: Check = {
    ok: ids.every((id) => repliesPerPost.get(id) === 1),
    posts_replied_twice: ids.filter((id) => (repliesPerPost.get(id) ?? 0) > 1).length,
    posts_without_reply: ids.filter((id) => !repliesPerPost.get(id)).length,
  };

  const products = (await s.db.query<{ id: string; inventory: number | null; sold: number; reserved: number }>('SELECT id, inventory, sold, reserved FROM products')).rows;
  const oversold = products.filter((p) => p.inventory !== null && (p.sold + p.reserved > p.inventory || paid.filter((o) => o.product_id === p.id).length > p.inventory));
  const rareSold = products.find((p) => p.inventory !== null)?.sold ?? 0;
  const stock: Check = { ok: oversold.length === 0, oversold_products: oversold.length, rare_sold: rareSold, rare_stock: RARE_STOCK };

  const kindOf = new Map(sent.map((p) => [p.id, p.kind]));
  const wrong = orders.filter((o) => o.status !== SETTLED[kindOf.get(o.tweet_id)!] && o.status !== 'sold_out');
  const events = (await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM stripe_events WHERE processed_at IS NULL')).rows[0]!.n;
  const settled: Check = {
    ok: settledInTime && wrong.length === 0 && orders.length === sent.length && events === 0,
    within_bound: settledInTime, orders: orders.length, not_in_expected_state: wrong.length,
    examples: wrong.slice(0, 5).map((o) => ({ order: o.id, status: o.status, buyer: kindOf.get(o.tweet_id) })),
    stripe_events_unapplied: events,
  };

  return { every_post_one_outcome: onePerPost, no_double_charge: charges, one_reply_per_post: replies, nothing_oversold: stock, every_order_settled: settled };
}
