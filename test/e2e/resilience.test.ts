import { Queue } from 'bullmq';
import { REDIS_URL } from '../support/app';
import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(150_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  s = await startStack({ env: { JOB_LOCK_MS: '3000' } });
  await s.start('api');
  await s.start('ingest');
  await s.start('worker');
  key = (await s.createMerchant('Resilient Mugs')).apiKey;
});
afterAll(async () => {
  await s?.close();
});

const ordersFor = async (tweetIds: string[]) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = ANY($1)', [tweetIds])).rows;
const intentsFor = (orderId: string) => s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === orderId);
const ruleFor = (tag: string) => eventually(() => s.x.rules().some((r) => r.value.toLowerCase().includes(tag.toLowerCase())), 15_000, `a rule for ${tag}`);

describe('the pipeline under crashes, duplicates, disconnects and rate limits', () => {
  it('a worker killed right after Stripe answered heals on restart: one intent, one receipt', async () => {
    await s.createProduct(key, { name: 'Crash Mug', hashtag: 'BuyCrashMug', unit_amount: 1200, currency: 'usd', inventory: 5 });
    await ruleFor('#BuyCrashMug');
    const buyer = await s.buyer('crashy');
    await s.stop('worker');
    const doomed = await s.start('worker', 'doomed', { HC_FAILPOINTS: 'after_stripe_charge' });
    const post = s.post({ author_id: buyer.id, text: '@shop #BuyCrashMug' });

    await doomed.exited();
    s.procs.delete('doomed');
    const [stuck] = await ordersFor([post.id]);
    expect(stuck.status).toBe('charging');
    expect(intentsFor(stuck.id)).toHaveLength(1);
    expect(intentsFor(stuck.id)[0]!.status).toBe('succeeded');

    await s.start('worker');
    await eventually(async () => (await ordersFor([post.id]))[0].status === 'paid', 30_000, 'order paid after restart');
    await eventually(() => s.repliesTo(post.id).length === 1, 15_000, 'receipt');
    await new Promise((r) => setTimeout(r, 1500));
    expect(intentsFor(stuck.id)).toHaveLength(1);
    expect(s.repliesTo(post.id)).toHaveLength(1);
    expect(s.repliesTo(post.id)[0]!.text).toContain(stuck.id);
  });

  it('the same post delivered twice (stream, then again as another job) still makes one order and one charge', async () => {
    await s.createProduct(key, { name: 'Twin Mug', hashtag: 'BuyTwinMug', unit_amount: 1300, currency: 'usd' });
    await ruleFor('#BuyTwinMug');
    const buyer = await s.buyer('twin');
    const post = s.post({ author_id: buyer.id, text: '@shop #BuyTwinMug' });
    await eventually(async () => (await ordersFor([post.id]))[0]?.status === 'paid', 20_000, 'paid');

    // A second delivery after the first job is gone (e.g. backfill long after the stream).
    const tweets = new Queue('tweets', { connection: { url: REDIS_URL }, prefix: s.prefix });
    const handedOn = await tweets.getJobs(['completed'], 0, -1);
    const data = handedOn.flatMap((j) => (j.data as { posts?: Array<{ id: string }> }).posts ?? []).find((p) => p.id === post.id);
    await tweets.add('batch', { posts: [data] }, { jobId: `posts-${post.id}-again` });
    await eventually(async () => (await tweets.getJob(`posts-${post.id}-again`))?.isCompleted(), 15_000, 'duplicate job done');
    await tweets.close();

    const orders = await ordersFor([post.id]);
    expect(orders).toHaveLength(1);
    expect(intentsFor(orders[0].id)).toHaveLength(1);
    expect(s.repliesTo(post.id)).toHaveLength(1);
  });

  it('a stream disconnect while posts keep coming: every post processed once after reconnect', async () => {
    await s.createProduct(key, { name: 'Flaky Mug', hashtag: 'BuyFlakyMug', unit_amount: 1100, currency: 'usd' });
    await ruleFor('#BuyFlakyMug');
    const buyers = await Promise.all(Array.from({ length: 4 }, (_, i) => s.buyer(`flaky${i}`)));
    const posts = [s.post({ author_id: buyers[0]!.id, text: '@shop #BuyFlakyMug' })];
    s.x.disconnectStream('abrupt');
    for (const b of buyers.slice(1)) posts.push(s.post({ author_id: b.id, text: '@shop #BuyFlakyMug' }));
    const ids = posts.map((p) => p.id);
    await eventually(async () => (await ordersFor(ids)).filter((o) => o.status === 'paid').length === 4, 40_000, 'all four paid');
    await eventually(() => ids.every((id) => s.repliesTo(id).length === 1), 15_000, 'one reply each');
    const { rows } = await s.db.query('SELECT count(*)::int AS n FROM posts WHERE tweet_id = ANY($1)', [ids]);
    expect(rows[0].n).toBe(4);
    expect(await ordersFor(ids)).toHaveLength(4);
  });

  it('X answering 429 to replies: the replies wait for the reset and all arrive, none twice', async () => {
    await s.createProduct(key, { name: 'Busy Mug', hashtag: 'BuyBusyMug', unit_amount: 1000, currency: 'usd' });
    await ruleFor('#BuyBusyMug');
    const buyers = await Promise.all(Array.from({ length: 6 }, (_, i) => s.buyer(`busy${i}`)));
    s.x.configure({ rate_limits: { tweets_post: { limit: 2, windowMs: 6000 } }, reset_rate_limits: true });
    const started = Date.now();
    const posts = buyers.map((b) => s.post({ author_id: b.id, text: '@shop #BuyBusyMug' }));
    const ids = posts.map((p) => p.id);
    await eventually(() => ids.every((id) => s.repliesTo(id).length === 1), 60_000, 'all six replies').catch((e) => {
      console.log(s.procs.get('worker')?.output().split('\n').filter((l) => /repl|429|rate/i.test(l)).slice(-30).join('\n'));
      throw e;
    });
    const elapsed = Date.now() - started;
    // Two replies per 6 s window: the last pair cannot have gone out before two resets.
    expect(elapsed).toBeGreaterThan(10_000);
    for (const id of ids) expect(s.repliesTo(id)).toHaveLength(1);
    const orders = await ordersFor(ids);
    expect(orders.every((o) => o.status === 'paid' && o.reply_status === 'posted')).toBe(true);
    s.x.configure({ rate_limits: { tweets_post: null } });
  });
});
