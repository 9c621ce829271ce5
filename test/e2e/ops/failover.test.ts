import { eventually, startStack, type Stack } from '../../support/stack';
import { runService, type ServiceProcess } from '../../support/process';

jest.setTimeout(120_000);

const TAKEOVER_BOUND_MS = 15_000;
let s: Stack;

beforeAll(async () => {
  s = await startStack();
  await s.start('api');
  await s.start('worker');
});
afterAll(async () => {
  await s?.close();
});

const q = async <T>(sql: string, params: unknown[] = []) => (await s.db.query(sql, params)).rows as T[];
const activeLine = /ingest: lease acquired/;

describe('ingest failover', () => {
  it('SIGKILL the active ingest: the standby takes over within 15 s and backfill loses no post, none doubled', async () => {
    await s.start('ingest', 'ingest-a');
    // A standby says nothing until it takes over, so stack.start (which waits for an ingest line) cannot start it.
    const b = runService(['ingest'], s.env);
    s.procs.set('ingest-b', b);
    await b.waitFor(/Hashtag Checkout is up/, 60_000);
    const procs = { 'ingest-a': s.procs.get('ingest-a')!, 'ingest-b': s.procs.get('ingest-b')! };
    const isActive = (p: ServiceProcess) => p.output().split('\n').some((l) => activeLine.test(l));
    const [activeName, standbyName] = await eventually(() => {
      const a = isActive(procs['ingest-a']);
      const b = isActive(procs['ingest-b']);
      if (a === b) return null;
      return a ? (['ingest-a', 'ingest-b'] as const) : (['ingest-b', 'ingest-a'] as const);
    }, 15_000, 'exactly one active ingest');
    const standby = procs[standbyName];

    const key = (await s.createMerchant('Failover Co')).apiKey;
    await s.createProduct(key, { name: 'Spare Mug', hashtag: 'BuySpareMug', unit_amount: 1000, currency: 'usd', inventory: 500 });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuySpareMug')), 15_000, 'stream rule');
    const buyer = await s.buyer('steady');
    const ids: string[] = [];
    const post = (label: string) => ids.push(s.post({ author_id: buyer.id, text: `@shop #BuySpareMug ${label} ${ids.length}` }).id);

    for (let i = 0; i < 5; i++) post('before');
    await eventually(async () => (await q('SELECT 1 FROM posts WHERE tweet_id = ANY($1)', [ids])).length === ids.length, 20_000, 'posts before the kill');

    // Killed outright: no lease release, no goodbye. Buyers keep posting meanwhile.
    const killedAt = Date.now();
    await s.stop(activeName, 'SIGKILL');
    const posting = setInterval(() => post('during'), 500);
    let takeoverMs: number;
    try {
      await standby.waitFor(activeLine, TAKEOVER_BOUND_MS + 5_000);
      takeoverMs = Date.now() - killedAt;
    } finally {
      clearInterval(posting);
    }
    for (let i = 0; i < 5; i++) post('after');
    process.stdout.write(`ingest takeover after SIGKILL: ${takeoverMs} ms; ${ids.length} posts\n`);
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);

    // Every post written while nobody held the stream arrives through backfill, exactly once.
    await eventually(async () => (await q('SELECT 1 FROM posts WHERE tweet_id = ANY($1)', [ids])).length === ids.length, 30_000, 'every post handled');
    await eventually(async () => (await q(`SELECT 1 FROM orders WHERE tweet_id = ANY($1) AND status = 'paid' AND reply_status = 'posted'`, [ids])).length === ids.length, 30_000, 'every order paid and answered');
    const perPost = await q<{ tweet_id: string; n: number }>('SELECT tweet_id, count(*)::int AS n FROM orders WHERE tweet_id = ANY($1) GROUP BY tweet_id', [ids]);
    expect(perPost.filter((r) => r.n !== 1)).toEqual([]);
    expect(perPost).toHaveLength(ids.length);
    const intents = s.stripe.paymentIntents().filter((pi) => pi.customer && pi.status === 'succeeded');
    const orderIds = (await q<{ id: string }>('SELECT id FROM orders WHERE tweet_id = ANY($1)', [ids])).map((o) => o.id);
    for (const id of orderIds) expect([id, intents.filter((pi) => (pi.metadata as Record<string, string>)?.order_id === id).length]).toEqual([id, 1]);
    for (const id of ids) expect([id, s.repliesTo(id).length]).toEqual([id, 1]);
  });
});
