import type pg from 'pg';

/** What the emulators child aggregates: succeeded intents per order, shop replies per post, HTTP statuses. */
export interface EmulatorSummary {
  intents_total: number;
  succeeded: Record<string, number>;
  replies_total: number;
  replies: Record<string, number>;
  statuses: Record<string, Record<string, number>>;
  intents_per_second: Record<string, number>;
}

export interface Check { ok: boolean; [detail: string]: unknown }
export type Invariants = { ok: boolean } & Record<string, Check | boolean>;

/**
 * The pipeline's promises, checked after every scenario against PostgreSQL and both emulators.
 * `sent` is the number of posts the bench injected (each names exactly one live product).
 */
export async function checkInvariants(db: pg.Pool, emu: EmulatorSummary, sent: number, opts: { repliesMayLag?: boolean } = {}): Promise<Invariants> {
  const one = async <T>(sql: string) => (await db.query(sql)).rows[0] as T;

  const o = await one<{ orders: number; pairs: number }>(`SELECT count(*)::int AS orders, count(DISTINCT (tweet_id, product_id))::int AS pairs FROM orders`);
  const ordersPerPost: Check = { ok: o.orders === o.pairs && o.orders === sent, orders: o.orders, distinct_post_product_pairs: o.pairs, posts_sent: sent };

  const paidRows = (await db.query(`SELECT id, payment_intent_id FROM orders WHERE status IN ('paid', 'refunded', 'partially_refunded')`)).rows as Array<{ id: string; payment_intent_id: string }>;
  const paid = new Set(paidRows.map((r) => r.id));
  const charged = Object.entries(emu.succeeded);
  const double = charged.filter(([, n]) => n > 1).length;
  const unknown = charged.filter(([id]) => !paid.has(id)).length;
  const missing = paidRows.filter((r) => !emu.succeeded[r.id]).length;
  const intents: Check = {
    ok: charged.length === paid.size && double === 0 && unknown === 0 && missing === 0,
    succeeded_intents_orders: charged.length, paid_orders: paid.size, double_charges: double, intents_without_paid_order: unknown, paid_without_intent: missing,
  };

  // Unlimited stock (no inventory, no limited variant) keeps no counters: nothing to oversell, its paid units reported alone.
  const inv = (await db.query(`SELECT p.id, p.inventory, p.sold, p.reserved, p.inventory IS NULL AND NOT p.limited_variants AS unlimited,
      (SELECT count(*)::int FROM orders o WHERE o.product_id = p.id AND o.status IN ('paid', 'refunded', 'partially_refunded')) AS paid
      FROM products p`)).rows as Array<{ id: string; inventory: number | null; sold: number; reserved: number; unlimited: boolean; paid: number }>;
  const oversold = inv.reduce((a, p) => a + (p.inventory === null ? 0 : Math.max(0, p.paid - p.inventory, p.sold + p.reserved - p.inventory)), 0);
  const stock: Check = {
    ok: oversold === 0, oversold,
    products: inv.map((p) => (p.unlimited ? { inventory: null, unlimited: true, paid: p.paid } : { inventory: p.inventory, paid: p.paid, sold: p.sold, reserved: p.reserved })),
  };

  const p = await one<{ posts: number; without: number; unsettled: number }>(`SELECT count(*)::int AS posts,
      count(*) FILTER (WHERE outcome IS NULL OR outcome = '')::int AS without,
      (SELECT count(*)::int FROM orders WHERE status IN ('reserved', 'charging')) AS unsettled FROM posts`);
  const outcomes: Check = { ok: p.posts === sent && p.without === 0 && p.unsettled === 0, posts_sent: sent, posts_recorded: p.posts, without_outcome: p.without, orders_not_settled: p.unsettled };

  const r = await one<{ posted: number; pending: number; failed: number; rows: number; orders: number }>(`SELECT
      -- A public sold-out notice is a post of the shop's too (it covers the replies marked aggregated).
      (count(*) FILTER (WHERE status = 'posted') + (SELECT count(*) FROM public_notices WHERE status = 'posted'))::int AS posted,
      count(*) FILTER (WHERE status = 'pending')::int AS pending,
      count(*) FILTER (WHERE status IN ('failed', 'refused'))::int AS failed, count(*)::int AS rows,
      (SELECT count(*)::int FROM orders) AS orders FROM replies`);
  const twice = Object.values(emu.replies).filter((n) => n > 1).length;
  const replies: Check = {
    ok: twice === 0 && emu.replies_total === r.posted && (opts.repliesMayLag || (r.pending === 0 && r.rows === r.orders)),
    posted_on_x: emu.replies_total, posted_recorded: r.posted, pending: r.pending, failed_or_refused: r.failed, posts_replied_twice: twice,
    replies_recorded: r.rows, orders_needing_reply: r.orders,
  };

  const checks = {
    orders_equal_distinct_post_product: ordersPerPost,
    succeeded_intents_equal_paid_orders: intents,
    paid_within_inventory: stock,
    every_post_one_outcome: outcomes,
    replies_at_most_once: replies,
  };
  return { ok: Object.values(checks).every((c) => c.ok), ...checks };
}
