import type { Job } from 'bullmq';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { createPool, type Db } from '../../../src/db/pool';
import { createMatchingService, type PostResult } from '../../../src/posts/matching.service';
import { createLinkSigner } from '../../../src/links/links';
import { createLogger } from '../../../src/logger';
import { closeQueues, createQueues, type Queues } from '../../../src/queue/queues';
import { tweetsProcessor } from '../../../workers/tweets';
import type { InboundPost } from '../../../src/x/x.port';

jest.setTimeout(60_000);

const signer = createLinkSigner('batch-matching-secret-0123456789abcdef');
const US = { name: 'Ann', phone: null, line1: '5 Elm Rd', line2: null, city: 'Austin', state: 'TX', postal_code: '73301', country: 'US' };
const CA = { ...US, city: 'Toronto', state: 'ON', postal_code: 'M5V 2T6', country: 'CA' };

const databases: TestDatabase[] = [];
const pools: Db[] = [];
async function freshDatabase(): Promise<Db> {
  const database = await createTestDatabase();
  databases.push(database);
  const db = createPool(database.url, 6);
  pools.push(db);
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_m', 'M')`);
  const product = (hashtag: string, over: { inventory?: number; max?: number; amount?: number; starts?: Date; ends?: Date; ships?: string[]; waitlist?: boolean } = {}) =>
    db.query(
      `INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, max_per_order, starts_at, ends_at, shipping, shipping_countries, waitlist)
       VALUES ($1, 'mer_m', $2, $2, lower($2), $3, 'usd', $4, $5, $6, $7, $8, $9, $10)`,
      [`prod_${hashtag}`, hashtag, over.amount ?? 1000, over.inventory ?? null, over.max ?? 5, over.starts ?? null, over.ends ?? null,
        over.ships ? 'required' : 'none', over.ships ?? null, over.waitlist ?? true],
    );
  await product('BuyMug');
  // Without a waitlist: a post that finds no unit is told it is sold out.
  await product('BuyVase', { inventory: 2, waitlist: false });
  await product('BuyLine', { inventory: 1 });
  await product('BuyLamp', { inventory: 5, ships: ['US'] });
  await product('BuySoon', { starts: new Date(Date.now() + 3600_000) });
  await product('BuyOver', { ends: new Date(Date.now() - 3600_000) });
  await product('BuyCap');
  await product('BuyHat');
  await product('BuyGold', { amount: 50_000_000 });
  await product('BuyFive', { inventory: 5 });
  const buyer = (id: string, xUserId: string, limit: number | null, address: object | null) =>
    db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id, daily_limit_amount, shipping) VALUES ($1, $2, $3, 'pm_1', $4, $5)`,
      [id, xUserId, `cus_${id}`, limit, address && JSON.stringify(address)]);
  await buyer('buy_us', '777', null, US);
  await buyer('buy_limit', '778', 2500, null);
  await buyer('buy_ca', '779', null, CA);
  return db;
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await Promise.all(databases.map((d) => d.drop()));
});

const service = (db: Db) => createMatchingService({ db, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true });

let seq = 1_860_000_000_000_000_000n;
function post(text: string, over: Partial<InboundPost> = {}): InboundPost {
  const id = String(++seq);
  const tags = [...text.matchAll(/#(\w+)/g)].map((m) => m[1]!);
  const mentions = [...text.matchAll(/@(\w+)/g)].map((m) => ({ username: m[1]! }));
  return { id, text, authorId: '777', authorUsername: 'buyer', createdAt: new Date().toISOString(), hashtags: tags, mentions, referenced: [], editHistoryIds: [id], ...over };
}
function chain(...texts: string[]): InboundPost[] {
  const ids = texts.map(() => String(++seq));
  return texts.map((text, i) => post(text, { id: ids[i]!, editHistoryIds: ids }));
}

/** What buyers, merchants and ops see: outcomes, orders, their events, replies, tokens and stock, with random ids named by post. */
async function snapshot(db: Db) {
  const orderPost = new Map((await db.query('SELECT id, tweet_id FROM orders')).rows.map((r) => [r.id as string, r.tweet_id as string]));
  const plain = (text: string) => text.replace(/ord_\w+/g, (id) => `order-of-${orderPost.get(id)}`).replace(/\/link\/\S+/g, '/link/TOKEN');
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    posts: await q('SELECT tweet_id, outcome, reason, author_id, original_tweet_id FROM posts ORDER BY tweet_id'),
    orders: await q(`SELECT tweet_id, product_id, chain_id, buyer_x_user_id, buyer_id, quantity, amount, currency, status, stock_held,
                       failure_code, failure_message, reply_status FROM orders ORDER BY tweet_id`),
    events: await q('SELECT o.tweet_id, e.type, e.data FROM order_events e JOIN orders o ON o.id = e.order_id ORDER BY e.id'),
    replies: (await q(`SELECT r.in_reply_to_tweet_id, r.kind, o.tweet_id AS order_post, r.text, r.status FROM replies r LEFT JOIN orders o ON o.id = r.order_id
                       ORDER BY r.in_reply_to_tweet_id, r.kind`)).map((r) => ({ ...r, text: plain(r.text) })),
    tokens: await q('SELECT o.tweet_id, t.x_user_id, t.used_at FROM signup_tokens t JOIN orders o ON o.id = t.order_id ORDER BY o.tweet_id'),
    stock: await q('SELECT id, reserved, sold FROM products ORDER BY id'),
  };
}
const summary = (r: PostResult) => ({ post: r.postId, outcome: r.outcome, reason: r.reason, orders: r.orderIds.length, followups: r.followups.map((f) => f.kind === 'charge' ? 'charge' : f.replyKind).sort() });

describe('a batch decides its posts as deciding them one by one in post order would', () => {
  it('every outcome kind: the same outcomes, orders, events, replies, tokens and stock', async () => {
    const [one, many] = [await freshDatabase(), await freshDatabase()];
    const [buyerEdit, ...laterEdits] = chain('@shop #BuyMug', '@shop #BuyMug (typo)', '@shop #BuyMug x2');
    const [noTag, tagAdded] = chain('@shop what a mug', '@shop what a mug #BuyMug');
    const posts = [
      post('@shop #BuyMug', { authorId: '42', authorUsername: 'shop' }),
      post('RT @x: @shop #BuyMug', { referenced: [{ type: 'retweeted', id: '1' }] }),
      post('@shop #BuyMug look', { referenced: [{ type: 'quoted', id: '1' }] }),
      post('#BuyMug'),
      post('@shop hello'),
      post('@shop #SomethingElse'),
      post('@shop #BuySoon'),
      post('@shop #BuyOver'),
      post('@shop #BuyCap #BuyHat'),
      post('@shop #BuyCap x1.5'),
      post('@shop #BuyCap x9'),
      post('@shop #BuyGold x3'),
      post('@shop #BuyMug', { authorId: '800', authorUsername: 'stranger' }),
      post('@shop #BuyMug'),
      post('@shop #BuyVase x2'),
      post('@shop #BuyVase', { authorId: '779' }),
      post('@shop #BuyLine'),
      post('@shop #BuyLine', { authorId: '779' }),
      post('@shop #BuyLine', { authorId: '800', authorUsername: 'stranger' }),
      post('@shop #BuyLamp'),
      post('@shop #BuyLamp', { authorId: '779' }),
      post('@shop #BuyLamp', { authorId: '778' }),
      post('@shop #BuyMug x2', { authorId: '778' }),
      post('@shop #BuyMug', { authorId: '778' }),
      buyerEdit!, ...laterEdits, noTag!, tagAdded!,
    ];
    const malformedId = String(++seq);

    const single = service(one);
    const oneByOne: PostResult[] = [];
    const inIdOrder = [...posts].sort((x, y) => (BigInt(x.id) < BigInt(y.id) ? -1 : 1));
    for (const p of inIdOrder) oneByOne.push({ postId: p.id, ...(await single.handlePost(p)) });
    oneByOne.push(...(await single.handleBatch([], { malformed: [{ id: malformedId, authorId: null }] })).results);

    // Out of order, with one post twice: the batch sorts by id and decides each post once.
    const shuffled = [...posts].reverse();
    shuffled.splice(3, 0, posts[14]!);
    const batch = await service(many).handleBatch(shuffled, { malformed: [{ id: malformedId, authorId: null }] });

    expect(batch.results.map(summary)).toEqual(oneByOne.map(summary));
    const [a, b] = [await snapshot(one), await snapshot(many)];
    expect(b).toEqual(a);
    // The batch covered what it set out to: every kind of outcome, order status and reply.
    expect(new Set(a.posts.map((p) => `${p.outcome}/${p.reason}`))).toEqual(new Set([
      'ignored/own_post', 'ignored/retweet', 'ignored/quote', 'ignored/no_mention', 'ignored/no_hashtag', 'ignored/no_product',
      'ignored/sale_not_started', 'ignored/sale_ended', 'ambiguous/several_products', 'ambiguous/quantity_unreadable',
      'rejected/quantity_over_max', 'rejected/amount_too_large', 'awaiting_signup/null', 'order_created/null', 'sold_out/null',
      'waitlisted/null', 'rejected/daily_limit_exceeded', 'ignored/edit_of_handled_post', 'ignored/malformed',
    ]));
    expect(new Set(a.orders.map((o) => o.status))).toEqual(new Set(['awaiting_signup', 'reserved', 'sold_out', 'awaiting_details', 'failed', 'waitlisted']));
    expect(a.events.filter((e) => e.type === 'product.sold_out').map((e) => e.data)).toEqual([{ product: 'prod_BuyVase' }, { product: 'prod_BuyLine' }]);
    expect(a.orders.filter((o) => o.tweet_id === tagAdded!.id)).toHaveLength(1);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > until) throw new Error('timed out waiting for both batches to start');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stock goes to the earlier post, across concurrent batches too', () => {
  const reservedPosts = async (db: Db) =>
    (await db.query(`SELECT tweet_id FROM orders WHERE product_id = 'prod_BuyFive' AND status = 'reserved'`)).rows.map((r) => r.tweet_id).sort();

  it.each([
    ['overlapping ranges, the later batch started first', (ps: InboundPost[]) => [ps.slice(8), ps.slice(0, 12)]],
    ['consecutive ranges as ingest hands them on, the later batch started first', (ps: InboundPost[]) => [ps.slice(10), ps.slice(0, 10)]],
  ])('5 units, 20 posts in two concurrent batches (%s): exactly the 5 lowest post ids are reserved', async (_name, split) => {
    const db = await freshDatabase();
    const workers = [createPool(databases.at(-1)!.url, 4), createPool(databases.at(-1)!.url, 4)];
    pools.push(...workers);
    await Promise.all(workers.map((w) => w.query('SELECT 1')));
    const posts = Array.from({ length: 20 }, () => post('@shop #BuyFive'));
    const [first, second] = split(posts);
    // Concurrent for real, whatever the machine's load: the product row is held until both batches
    // have made themselves known, so neither can take stock before the other is live.
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM products WHERE id = 'prod_BuyFive' FOR UPDATE`);
    const running = Promise.all([service(workers[0]!).handleBatch(first!), service(workers[1]!).handleBatch(second!)]);
    await waitUntil(async () => (await db.query(`SELECT count(*)::int AS n FROM matching_batches`)).rows[0].n === 2);
    await holder.query('COMMIT');
    holder.release();
    const [r1, r2] = await running;
    expect(await reservedPosts(db)).toEqual(posts.slice(0, 5).map((p) => p.id).sort());
    const outcomes = (await db.query(`SELECT outcome, count(*)::int AS n FROM posts GROUP BY outcome ORDER BY outcome`)).rows;
    // The rest join the waitlist, in post order.
    expect(outcomes).toEqual([{ outcome: 'order_created', n: 5 }, { outcome: 'waitlisted', n: 15 }]);
    const line = (await db.query(`SELECT tweet_id FROM orders WHERE status = 'waitlisted' ORDER BY tweet_id::numeric`)).rows.map((r) => r.tweet_id);
    const replies = (await db.query(`SELECT in_reply_to_tweet_id AS id, text FROM replies WHERE kind = 'waitlisted'`)).rows;
    expect(line.map((id) => replies.find((r) => r.id === id)?.text.match(/number (\d+) on/)?.[1])).toEqual(line.map((_, i) => String(i + 1)));
    expect([...r1.results, ...r2.results].filter((r) => r.orderIds.length)).toHaveLength(20);
    expect((await db.query(`SELECT reserved FROM products WHERE id = 'prod_BuyFive'`)).rows[0].reserved).toBe(5);
  });
});

describe('sold-out stock takes no turn', () => {
  /** A live batch with earlier posts for #BuyVase, as another worker's would be: its row and its lock. */
  async function liveEarlierBatch(db: Db) {
    const holder = await db.connect();
    const { rows: [row] } = await holder.query(`INSERT INTO matching_batches (first_post_id, hashtag_keys) VALUES (1, '{buyvase}') RETURNING id::text AS id`);
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [row.id]);
    return { async done() { await holder.query('WITH gone AS (DELETE FROM matching_batches WHERE id = $1) SELECT pg_advisory_unlock($1::bigint)', [row.id]); holder.release(); } };
  }
  const settledWithin = <T>(p: Promise<T>, ms: number) =>
    Promise.race([p.then(() => 'settled'), new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);

  it('a batch that finds no unit left is decided at once, while an earlier batch is live; a unit freed makes the next one wait its turn', async () => {
    const db = await freshDatabase();
    await service(db).handleBatch([post('@shop #BuyVase'), post('@shop #BuyVase')]);
    const earlier = await liveEarlierBatch(db);
    try {
      const soldOut = service(db).handleBatch([post('@shop #BuyVase')]);
      expect(await settledWithin(soldOut, 5000)).toBe('settled');
      expect((await soldOut).results.map((r) => r.outcome)).toEqual(['sold_out']);

      // A charge failed and freed a unit: the next post may take it, after the earlier batch.
      await db.query(`UPDATE products SET reserved = reserved - 1 WHERE id = 'prod_BuyVase'`);
      const buying = service(db).handleBatch([post('@shop #BuyVase')]);
      expect(await settledWithin(buying, 500)).toBe('still waiting');
      await earlier.done();
      expect((await buying).results.map((r) => r.outcome)).toEqual(['order_created']);
    } finally {
      await earlier.done().catch(() => undefined);
    }
  });

  it('a batch waiting behind earlier batches stops waiting once the last unit is taken', async () => {
    const db = await freshDatabase();
    const [first, second] = [await liveEarlierBatch(db), await liveEarlierBatch(db)];
    try {
      const later = service(db).handleBatch([post('@shop #BuyVase')]);
      await waitUntil(async () => (await db.query(`SELECT count(*)::int AS n FROM matching_batches`)).rows[0].n === 3);
      // The earlier batches take both units; the first is done, the second is still finishing.
      await db.query(`UPDATE products SET reserved = 2 WHERE id = 'prod_BuyVase'`);
      await first.done();
      expect(await settledWithin(later, 5000)).toBe('settled');
      expect((await later).results.map((r) => r.outcome)).toEqual(['sold_out']);
    } finally {
      await first.done().catch(() => undefined);
      await second.done().catch(() => undefined);
    }
  });
});

describe('sold-out batches do not queue behind each other', () => {
  it('a sold-out batch is decided while another sold-out batch holds its read of the product', async () => {
    const db = await freshDatabase();
    await service(db).handleBatch([post('@shop #BuyVase'), post('@shop #BuyVase')]);
    // What a concurrent sold-out batch holds from its stock read to its commit.
    const other = await db.connect();
    await other.query('BEGIN');
    await other.query(`SELECT 1 FROM products WHERE id = 'prod_BuyVase' FOR SHARE`);
    try {
      const soldOut = service(db).handleBatch([post('@shop #BuyVase')]);
      const settled = await Promise.race([soldOut.then(() => 'settled'), new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 5000))]);
      expect(settled).toBe('settled');
      expect((await soldOut).results.map((r) => r.outcome)).toEqual(['sold_out']);
    } finally {
      await other.query('COMMIT');
      other.release();
    }
  });
});

describe('a batch delivered again changes nothing', () => {
  const counts = async (db: Db, ids: string[]) =>
    (await db.query(
      `SELECT p.tweet_id, p.outcome, (SELECT count(*)::int FROM orders o WHERE o.tweet_id = p.tweet_id) AS orders,
              (SELECT count(*)::int FROM replies r WHERE r.in_reply_to_tweet_id = p.tweet_id) AS replies
       FROM posts p WHERE p.tweet_id = ANY($1) ORDER BY p.tweet_id`,
      [ids],
    )).rows;

  it('a re-run batch: one outcome and at most one order per post, and the work still pending comes back', async () => {
    const db = await freshDatabase();
    const posts = [post('@shop #BuyMug'), post('@shop #BuyMug', { authorId: '800' }), post('@shop #BuyVase x2'), post('@shop #BuyVase'), post('@shop hello')];
    const first = await service(db).handleBatch(posts);
    const before = await counts(db, posts.map((p) => p.id));
    const again = await service(db).handleBatch(posts);
    expect(await counts(db, posts.map((p) => p.id))).toEqual(before);
    expect(before.map((r) => r.orders)).toEqual([1, 1, 1, 1, 0]);
    expect(again.results.map((r) => [r.outcome, r.orderIds])).toEqual(first.results.map((r) => [r.outcome, []]));
    // Charges not started and replies not sent are handed back, so a crash before enqueueing loses nothing.
    expect(again.followups.map((f) => f.kind).sort()).toEqual(first.followups.map((f) => f.kind).sort());
    expect(new Set(again.followups.map((f) => (f.kind === 'charge' ? f.orderId : f.replyId)))).toEqual(new Set(first.followups.map((f) => (f.kind === 'charge' ? f.orderId : f.replyId))));
  });

  it('a post delivered in two different batches at once is decided once', async () => {
    const db = await freshDatabase();
    const url = databases.at(-1)!.url;
    const workers = [createPool(url, 4), createPool(url, 4)];
    pools.push(...workers);
    const shared = [post('@shop #BuyMug'), post('@shop #BuyFive'), post('@shop #BuyMug', { authorId: '800' })];
    const x = [post('@shop #BuyFive'), ...shared];
    const y = [...shared, post('@shop #BuyMug x2')];
    await Promise.all([service(workers[0]!).handleBatch(x), service(workers[1]!).handleBatch(y)]);
    const all = [...new Set([...x, ...y])].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    expect((await counts(db, all.map((p) => p.id))).map((r) => [r.outcome, r.orders])).toEqual(all.map((p) => [p.authorId === '800' ? 'awaiting_signup' : 'order_created', 1]));
    expect((await db.query('SELECT count(*)::int AS n FROM posts WHERE tweet_id = ANY($1)', [all.map((p) => p.id)])).rows[0].n).toBe(all.length);
  });
});

describe('daily spending limit within one batch', () => {
  it('applies the batch\'s own orders in post order, on top of what the buyer committed before', async () => {
    const db = await freshDatabase();
    // $10 already held today against a $25 limit: two more $10 posts would pass one at a time only once.
    await service(db).handlePost(post('@shop #BuyMug', { authorId: '778' }));
    const posts = [post('@shop #BuyMug', { authorId: '778' }), post('@shop #BuyMug', { authorId: '778' }), post('@shop #BuyMug', { authorId: '778' })];
    const r = await service(db).handleBatch(posts);
    expect(r.results.map((x) => [x.outcome, x.reason])).toEqual([['order_created', null], ['rejected', 'daily_limit_exceeded'], ['rejected', 'daily_limit_exceeded']]);
    const replies = (await db.query('SELECT in_reply_to_tweet_id, kind FROM replies WHERE in_reply_to_tweet_id = ANY($1) ORDER BY 1', [posts.map((p) => p.id)])).rows;
    expect(replies).toEqual(posts.slice(1).map((p) => ({ in_reply_to_tweet_id: p.id, kind: 'spending_limit' })));
    const { rows } = await db.query(`SELECT sum(amount)::int AS held FROM orders WHERE buyer_x_user_id = '778' AND status = 'reserved'`);
    expect(rows[0].held).toBe(2000);
  });
});

describe('a batch costs a fixed number of statements', () => {
  it('20 or 100 posts of every kind: the same statements, at most 15', async () => {
    await freshDatabase();
    const counted = createPool(databases.at(-1)!.url, 4);
    pools.push(counted);
    let statements = 0;
    counted.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        statements++;
        return query(...args);
      };
    });
    const authors = ['777', '778', '779', '800', '801'];
    const texts = ['@shop #BuyMug', '@shop #BuyFive', '@shop #BuyLamp', '@shop #BuyVase', '@shop hello', '@shop #BuyCap x9', '#BuyMug'];
    const statementsFor = async (n: number) => {
      const posts = Array.from({ length: n }, (_, i) => post(texts[i % texts.length]!, { authorId: authors[i % authors.length]! }));
      statements = 0;
      const r = await service(counted).handleBatch(posts);
      expect(r.results).toHaveLength(n);
      return { statements, outcomes: new Set(r.results.map((x) => x.outcome)) };
    };
    const twenty = await statementsFor(20);
    const hundred = await statementsFor(100);
    expect(hundred.outcomes).toEqual(new Set(['order_created', 'awaiting_signup', 'sold_out', 'waitlisted', 'rejected', 'ignored']));
    expect(hundred.statements).toBeLessThanOrEqual(15);
    expect(hundred.statements).toBe(twenty.statements);
  });
});

describe('the tweets worker', () => {
  let queues: Queues;
  beforeAll(() => {
    queues = createQueues({ host: '127.0.0.1', port: 6379 }, `hc-test-batch-${process.pid}`);
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
    await closeQueues(queues);
  });

  it('decides a batch job, records a malformed post as such, drops one without an id, and adds the follow-ups in one go', async () => {
    const db = await freshDatabase();
    const run = tweetsProcessor({ matching: service(db), queues, log: createLogger('silent') });
    const good = [post('@shop #BuyMug'), post('@shop #BuyMug', { authorId: '800' })];
    const badId = String(++seq);
    const job = { id: 'posts-test', name: 'batch', data: { posts: [good[0], { id: badId, text: 42 }, { nothing: true }, good[1], { ...post('@shop #BuyMug'), createdAt: 'yesterday' }] } } as unknown as Job;
    const result = await run(job);
    expect(result).toEqual({ posts: 4, outcomes: { order_created: 1, awaiting_signup: 1, 'ignored:malformed': 2 } });
    const { rows } = await db.query('SELECT outcome, reason FROM posts ORDER BY length(tweet_id), tweet_id');
    expect(rows).toEqual([
      { outcome: 'order_created', reason: null }, { outcome: 'awaiting_signup', reason: null },
      { outcome: 'ignored', reason: 'malformed' }, { outcome: 'ignored', reason: 'malformed' },
    ]);
    const [order] = (await db.query('SELECT id FROM orders WHERE tweet_id = $1', [good[0]!.id])).rows;
    expect((await queues.charges.getJob(`charges-${order.id}-${order.id}-1`))?.data).toEqual({ orderIds: [order.id] });
    expect(await queues.replies.getJobCounts('waiting', 'prioritized')).toMatchObject({ prioritized: 1 });
  });

  it('still decides a `post` job left from before batches', async () => {
    const db = await freshDatabase();
    const run = tweetsProcessor({ matching: service(db), queues, log: createLogger('silent') });
    const p = post('@shop #BuyMug');
    expect(await run({ id: `tweet-${p.id}`, name: 'post', data: p } as unknown as Job)).toEqual({ outcome: 'order_created', reason: null });
  });
});
