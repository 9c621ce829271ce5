import { createTestDatabase, type TestDatabase } from '../../support/db';
import { createPool, type Db } from '../../../src/db/pool';
import { createMatchingService } from '../../../src/posts/matching.service';
import { createLinkSigner } from '../../../src/links/links';
import type { InboundPost } from '../../../src/x/x.port';

let database: TestDatabase;
let db: Db;
let seq = 1_000_000;
const signer = createLinkSigner('matching-test-secret-0123456789abcdef');
const matching = () => createMatchingService({ db, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true });

function post(text: string, over: Partial<InboundPost> = {}): InboundPost {
  const id = String(++seq);
  const tags = [...text.matchAll(/#(\w+)/g)].map((m) => m[1]!);
  const mentions = [...text.matchAll(/@(\w+)/g)].map((m) => ({ username: m[1]! }));
  return { id, text, authorId: '777', authorUsername: 'buyer', createdAt: new Date().toISOString(), hashtags: tags, mentions, referenced: [], editHistoryIds: [id], ...over };
}

async function product(hashtag: string, over: Record<string, unknown> = {}): Promise<string> {
  const id = `prod_${hashtag}`;
  const p = { inventory: null, max_per_order: 1, starts_at: null, ends_at: null, ...over };
  await db.query(
    `INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, inventory, max_per_order, starts_at, ends_at)
     VALUES ($1, 'mer_m', $2, $2, lower($2), 1000, 'usd', $3, $4, $5, $6)`,
    [id, hashtag, p.inventory, p.max_per_order, p.starts_at, p.ends_at],
  );
  return id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 4);
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_m', 'M')`);
  await db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id) VALUES ('buy_b', '777', 'cus_1', 'pm_1')`);
});
afterAll(async () => {
  await db.end();
  await database.drop();
});

const replies = async (tweetId: string) => (await db.query('SELECT kind, text FROM replies WHERE in_reply_to_tweet_id = $1', [tweetId])).rows;

describe('matching a post', () => {
  it('records why a post is ignored, and makes no order', async () => {
    await product('BuyMug');
    const cases: Array<[InboundPost, string]> = [
      [post('@shop #BuyMug', { authorId: '42', authorUsername: 'shop' }), 'own_post'],
      [post('RT @x: @shop #BuyMug', { referenced: [{ type: 'retweeted', id: '1' }] }), 'retweet'],
      [post('@shop #BuyMug look', { referenced: [{ type: 'quoted', id: '1' }] }), 'quote'],
      [post('#BuyMug'), 'no_mention'],
      [post('@shop hello'), 'no_hashtag'],
      [post('@shop #SomethingElse'), 'no_product'],
    ];
    for (const [p, reason] of cases) {
      const r = await matching().handlePost(p);
      expect({ outcome: r.outcome, reason: r.reason }).toEqual({ outcome: 'ignored', reason });
      expect(r.orderIds).toEqual([]);
    }
  });

  it('respects the sale window', async () => {
    await product('BuySoon', { starts_at: new Date(Date.now() + 3600_000) });
    await product('BuyOver', { ends_at: new Date(Date.now() - 3600_000) });
    expect((await matching().handlePost(post('@shop #BuySoon'))).reason).toBe('sale_not_started');
    expect((await matching().handlePost(post('@shop #BuyOver'))).reason).toBe('sale_ended');
  });

  it('answers an ambiguous post with how to buy instead of guessing', async () => {
    await product('BuyCap');
    await product('BuyHat');
    const two = post('@shop #BuyCap #BuyHat');
    expect((await matching().handlePost(two)).outcome).toBe('ambiguous');
    expect((await replies(two.id)).map((r) => r.kind)).toEqual(['how_to_buy']);
    const odd = post('@shop #BuyCap x1.5');
    expect((await matching().handlePost(odd)).reason).toBe('quantity_unreadable');
    const many = post('@shop #BuyCap x3');
    expect((await matching().handlePost(many)).reason).toBe('quantity_over_max');
    expect((await replies(many.id))[0].text).toMatch(/at most 1/);
  });

  it('never buys one unit for a quantity outside the grammar: the buyer gets how to buy', async () => {
    await product('BuyJug', { max_per_order: 9999 });
    for (const text of ['@shop #BuyJug -1', '@shop #BuyJug 1e9', '@shop #BuyJug x1e9', '@shop #BuyJug x２', '@shop #BuyJug x１２', '@shop #BuyJug 5']) {
      const p = post(text);
      expect(await matching().handlePost(p)).toMatchObject({ outcome: 'ambiguous', reason: 'quantity_unreadable', orderIds: [] });
      expect((await replies(p.id)).map((r) => r.kind)).toEqual(['how_to_buy']);
    }
  });

  it('reserves stock for a linked buyer and asks for a charge; a second delivery changes nothing', async () => {
    const id = await product('BuyVase', { inventory: 2, max_per_order: 2 });
    const p = post('@shop #buyvase x2');
    const first = await matching().handlePost(p);
    expect(first.outcome).toBe('order_created');
    expect(first.followups).toEqual([{ kind: 'charge', orderId: first.orderIds[0] }]);
    const again = await matching().handlePost(p);
    expect(again.orderIds).toEqual([]);
    expect(again.followups).toEqual([{ kind: 'charge', orderId: first.orderIds[0] }]);
    const { rows } = await db.query('SELECT reserved, sold FROM products WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ reserved: 2, sold: 0 });
    // Sold out: the next post joins the waitlist (the product keeps one by default).
    const queued = await matching().handlePost(post('@shop #BuyVase'));
    expect(queued.outcome).toBe('waitlisted');
  });

  it('ignores an edit of a post already handled, but handles an edit of one that was not', async () => {
    await product('BuyLamp');
    const original = post('@shop #BuyLamp');
    await matching().handlePost(original);
    const editId = String(++seq);
    const edit = post('@shop #BuyLamp (typo)', { id: editId, editHistoryIds: [original.id, editId] });
    expect((await matching().handlePost(edit)).reason).toBe('edit_of_handled_post');
  });

  it('stops at the daily spending limit with a reply saying so', async () => {
    await product('BuyRug', { max_per_order: 5 });
    const { rows } = await db.query(`SELECT COALESCE(sum(amount), 0)::int AS spent FROM orders WHERE buyer_x_user_id = '777' AND status = 'reserved'`);
    await db.query(`UPDATE buyers SET daily_limit_amount = $1 WHERE id = 'buy_b'`, [rows[0].spent + 2500]);
    const ok = await matching().handlePost(post('@shop #BuyRug x2'));
    expect(ok.outcome).toBe('order_created');
    const over = post('@shop #BuyRug');
    const r = await matching().handlePost(over);
    expect(r).toMatchObject({ outcome: 'rejected', reason: 'daily_limit_exceeded' });
    expect((await replies(over.id))[0].kind).toBe('spending_limit');
    await db.query(`UPDATE buyers SET daily_limit_amount = NULL WHERE id = 'buy_b'`);
  });

  it('holds the daily spending limit when one buyer\'s posts are matched concurrently by several workers', async () => {
    await product('BuyLampshade');
    await db.query(`UPDATE products SET unit_amount = 600 WHERE id = 'prod_BuyLampshade'`);
    await db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id, daily_limit_amount) VALUES ('buy_race', '999', 'cus_race', 'pm_race', 1000)`);
    // Three "worker processes", each with its own pool, twelve $6 posts against a $10 limit.
    const pools = [createPool(database.url, 4), createPool(database.url, 4), createPool(database.url, 4)];
    try {
      const services = pools.map((pool) => createMatchingService({ db: pool, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true }));
      const posts = Array.from({ length: 12 }, () => post('@shop #BuyLampshade', { authorId: '999' }));
      const results = await Promise.all(posts.map((p, i) => services[i % services.length]!.handlePost(p)));
      expect(results.filter((r) => r.outcome === 'order_created')).toHaveLength(1);
      expect(results.filter((r) => r.reason === 'daily_limit_exceeded')).toHaveLength(11);
      const { rows } = await db.query(
        `SELECT COALESCE(sum(amount), 0)::bigint AS committed FROM orders WHERE buyer_x_user_id = '999' AND status IN ('reserved', 'charging', 'paid')`,
      );
      expect(rows[0].committed).toBe(600);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});

describe('edit chains: the first version that is a purchase buys, no other version charges again', () => {
  /** Versions of one post as X reports them: every version lists the whole chain, oldest first. */
  function chain(...texts: string[]): InboundPost[] {
    const ids = texts.map(() => String(++seq));
    return texts.map((text, i) => post(text, { id: ids[i]!, editHistoryIds: ids }));
  }
  const ordersOf = async (versions: InboundPost[]) =>
    (await db.query('SELECT tweet_id FROM orders WHERE tweet_id = ANY($1)', [versions.map((v) => v.id)])).rows.map((r) => r.tweet_id);

  it('an edit that adds the hashtag to a post that was not a purchase buys', async () => {
    await product('BuyStool');
    const [original, edit] = chain('@shop what a stool', '@shop what a stool #BuyStool');
    expect((await matching().handlePost(original!)).reason).toBe('no_hashtag');
    expect((await matching().handlePost(edit!)).outcome).toBe('order_created');
    expect(await ordersOf([original!, edit!])).toEqual([edit!.id]);
  });

  it('an edit that fixes an unreadable quantity buys', async () => {
    await product('BuyBench', { max_per_order: 5 });
    const [original, edit] = chain('@shop #BuyBench x1.5', '@shop #BuyBench x2');
    expect((await matching().handlePost(original!)).outcome).toBe('ambiguous');
    expect((await matching().handlePost(edit!)).outcome).toBe('order_created');
  });

  it('later versions of a post that bought never buy again', async () => {
    await product('BuyShelf', { max_per_order: 5 });
    const [original, first, second] = chain('@shop #BuyShelf', '@shop #BuyShelf x2', '@shop #BuyShelf x3');
    expect((await matching().handlePost(original!)).outcome).toBe('order_created');
    expect(await matching().handlePost(first!)).toMatchObject({ outcome: 'ignored', reason: 'edit_of_handled_post', orderIds: [] });
    expect((await matching().handlePost(second!)).reason).toBe('edit_of_handled_post');
    expect(await ordersOf([original!, first!, second!])).toEqual([original!.id]);
    expect(await replies(first!.id)).toEqual([]);
  });

  it('an original that arrives after its edit buys when the edit did not', async () => {
    await product('BuyCrate');
    const [original, edit] = chain('@shop #BuyCrate', '@shop never mind');
    expect((await matching().handlePost(edit!)).reason).toBe('no_hashtag');
    expect((await matching().handlePost(original!)).outcome).toBe('order_created');
    expect(await ordersOf([original!, edit!])).toEqual([original!.id]);
  });

  it('an original that arrives after its edit bought is not charged again', async () => {
    await product('BuyBasket');
    const [original, edit] = chain('@shop #BuyBasket', '@shop #BuyBasket (typo)');
    expect((await matching().handlePost(edit!)).outcome).toBe('order_created');
    expect((await matching().handlePost(original!)).reason).toBe('edit_of_handled_post');
    expect(await ordersOf([original!, edit!])).toEqual([edit!.id]);
  });

  it('two versions matched at the same time by different workers buy once', async () => {
    await product('BuyTray');
    const pools = [createPool(database.url, 4), createPool(database.url, 4)];
    try {
      const services = pools.map((pool) => createMatchingService({ db: pool, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true }));
      const chains = Array.from({ length: 8 }, () => chain('@shop #BuyTray', '@shop #BuyTray please'));
      await Promise.all(chains.flatMap((versions) => versions.map((v, i) => services[i]!.handlePost(v))));
      for (const versions of chains) expect(await ordersOf(versions)).toHaveLength(1);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM posts WHERE tweet_id = ANY($1) AND outcome = 'processing'`, [chains.flat().map((v) => v.id)]);
      expect(rows[0].n).toBe(0);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});
