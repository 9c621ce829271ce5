import { Redis } from 'ioredis';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { startXEmulator, type UserView, type XEmulator } from '../../../emulators/x';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { startIngest, type Ingest } from '../../../src/ingest';
import { startWorkers } from '../../../workers';
import { startMaintenance } from '../../../src/queue/maintenance';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { REDIS_URL, testConfig } from '../../support/app';
import { loseRedis } from '../../support/redis-loss';
import { FAST, waitFor } from '../ingest/helpers';

// Redis may lose everything (a restart without persistence): no post ingest received is lost,
// none is charged twice, and the ingest cursor is still where it was.
const CONSUMER = { key: 'loss-consumer-key', secret: 'loss-consumer-secret' };
let stripe: StripeEmulator;
let x: XEmulator;
let database: TestDatabase;
let rt: Runtime;
let redis: Redis;
let shop: UserView;
const buyers: UserView[] = [];
const ingests: Ingest[] = [];
let workers: Awaited<ReturnType<typeof startWorkers>> | null = null;
const sent: string[] = [];

const prefix = () => rt.config.QUEUE_PREFIX;
const count = async (sql: string, params: unknown[] = []) => (await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;
const cursor = async () => (await rt.db.query<{ since_id: string }>('SELECT since_id::text AS since_id FROM ingest_cursor')).rows[0]?.since_id ?? null;
const start = async () => {
  const ingest = await startIngest({ config: rt.config, db: rt.db, redis: rt.redis, tweetsQueue: rt.queues.tweets, port: rt.x.ingest, log: rt.log, options: FAST });
  ingests.push(ingest);
  await waitFor(() => ingest.status().connected, 10_000, 'ingest connected');
  return ingest;
};
function post(n: number): string {
  const id = x.injectTweet({ author_id: buyers[n % buyers.length]!.id, text: `@shop #BuyLossLamp n${sent.length}` }).id;
  sent.push(id);
  return id;
}
/** The pipeline has nothing left in its queues (the work Redis still knows about is done). */
async function quiet(): Promise<boolean> {
  for (const q of Object.values(rt.queues)) {
    const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'wait');
    if (Object.values(c).some((n) => n > 0)) return false;
  }
  return true;
}
/** Makes everything PostgreSQL knows about look older than the sweep delay (time passing, without waiting). */
async function ageEverything(): Promise<void> {
  await rt.db.query(`UPDATE post_inbox SET received_at = received_at - interval '1 hour'`);
  await rt.db.query(`UPDATE orders SET updated_at = updated_at - interval '1 hour'`);
  await rt.db.query(`UPDATE replies SET created_at = created_at - interval '1 hour'`);
  await rt.db.query(`UPDATE stripe_events SET received_at = received_at - interval '1 hour'`);
}
/** One maintenance sweep now (its lock is a Redis key; after a loss it is gone anyway). */
async function sweep(): Promise<void> {
  await rt.redis.del(`${prefix()}:maintenance:lock`);
  await startMaintenance(rt, 3_600_000).runOnce();
}

/** Posts waiting in the tweets queue, whatever batch jobs carry them. */
async function queuedPosts(): Promise<number> {
  const jobs = await rt.queues.tweets.getJobs(['waiting']);
  return jobs.reduce((n, job) => n + (Array.isArray(job.data?.posts) ? job.data.posts.length : 1), 0);
}

beforeAll(async () => {
  stripe = await startStripeEmulator({});
  x = await startXEmulator({
    consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret, keepAliveMs: 300,
    rateLimits: { tweets_post: null, search_recent: null, rules_post: null, rules_get: null, stream_connect: null },
  });
  shop = x.createUser({ username: 'shop' });
  const creds = x.oauth1Credentials(shop.id);
  database = await createTestDatabase();
  const config = testConfig({
    DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_redisloss', STRIPE_API_BASE: stripe.url, STRIPE_WEBHOOK_SECRET: 'whsec_redisloss0123456789',
    X_API_BASE: x.url, X_BEARER_TOKEN: 'loss-app-bearer', X_API_KEY: CONSUMER.key, X_API_SECRET: CONSUMER.secret,
    X_ACCESS_TOKEN: creds.access_token, X_ACCESS_SECRET: creds.access_token_secret, X_CLIENT_ID: 'loss-client', X_SHOP_USERNAME: 'shop',
    MAINTENANCE_INTERVAL_MS: '3600000', SWEEP_STALE_AFTER_SECONDS: '120',
  });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  await rt.db.query(`INSERT INTO merchants (id, name) VALUES ('mer_loss', 'Loss Lamps')`);
  await rt.db.query(`INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency)
                     VALUES ('prod_loss', 'mer_loss', 'Lamp', 'BuyLossLamp', 'buylosslamp', 1200, 'usd')`);
  for (let i = 0; i < 4; i++) {
    const u = x.createUser({ username: `loss_buyer${i}` });
    await rt.buyers.linkTestCard(u.id, u.username, 'pm_card_visa');
    buyers.push(u);
  }
}, 60_000);

afterAll(async () => {
  await workers?.stop();
  for (const i of ingests) await i.stop().catch(() => undefined);
  await loseRedis(redis, prefix());
  redis.disconnect();
  await rt.close();
  await database.drop();
  await x.close();
  await stripe.close();
});

describe('Redis loses everything while posts are being ingested', () => {
  it('every post still gets its outcome after the sweep: none lost, none charged twice', async () => {
    await start();
    await waitFor(() => x.rules().some((r) => r.value.includes('#BuyLossLamp')), 10_000, 'stream rule');

    // No worker yet: the first posts wait in the queue, as in a flash sale's backlog.
    for (let i = 0; i < 20; i++) post(i);
    await waitFor(async () => (await queuedPosts()) === 20, 10_000, '20 queued posts');
    // The cursor moves past posts once they are in the inbox, and not while the start-up backfill is open.
    const cursorBefore = await waitFor(async () => ((await cursor()) === sent[sent.length - 1] ? cursor() : null), 10_000, 'the cursor past the last post');

    expect(await loseRedis(redis, prefix())).toBeGreaterThan(0);
    expect(await queuedPosts()).toBe(0); // the queued posts are gone from Redis
    expect(await cursor()).toBe(cursorBefore); // the cursor is not

    // Posts keep coming; the worker starts; Redis is lost again while orders are being charged.
    for (let i = 0; i < 20; i++) post(i);
    workers = await startWorkers(rt);
    await waitFor(async () => (await count('orders')) >= 5, 20_000, 'some orders');
    await loseRedis(redis, prefix());
    for (let i = 0; i < 20; i++) post(i);
    await waitFor(async () => (await count('post_inbox WHERE tweet_id = ANY($1)', [sent])) === sent.length, 20_000, 'every post in the inbox');
    await waitFor(quiet, 30_000, 'the surviving work done', 200);
    const lostBeforeSweep = sent.length - (await count('posts WHERE tweet_id = ANY($1)', [sent]));
    expect(lostBeforeSweep).toBeGreaterThanOrEqual(20); // at least the first 20 had no outcome: their jobs were lost

    await ageEverything();
    await sweep();

    await waitFor(async () => (await count('posts WHERE tweet_id = ANY($1)', [sent])) === sent.length, 30_000, 'every post with an outcome', 200);
    await waitFor(async () => (await count(`orders WHERE status = 'paid'`)) === sent.length, 30_000, 'every order paid', 200);
    await waitFor(() => sent.every((id) => x.tweets({ author_id: shop.id, in_reply_to_tweet_id: id }).length > 0), 30_000, 'every receipt posted', 200);
    await waitFor(quiet, 30_000, 'the pipeline settled', 200);

    // What buyers see: one order, one charge and one receipt per post.
    expect(await count('orders')).toBe(sent.length);
    const succeeded = new Map<string, number>();
    for (const pi of stripe.paymentIntents()) {
      const orderId = (pi.metadata as Record<string, string> | undefined)?.order_id;
      if (orderId && pi.status === 'succeeded') succeeded.set(orderId, (succeeded.get(orderId) ?? 0) + 1);
    }
    expect(succeeded.size).toBe(sent.length);
    expect([...succeeded.values()].filter((n) => n > 1)).toEqual([]);
    for (const id of sent) expect(x.tweets({ author_id: shop.id, in_reply_to_tweet_id: id })).toHaveLength(1);

    // Done posts leave the inbox on the next sweep.
    await sweep();
    expect(await count('post_inbox')).toBe(0);
  }, 120_000);

  it('the cursor survives: a new ingest after the loss backfills the posts made while none ran', async () => {
    for (const i of ingests.splice(0)) await i.crash();
    const before = await cursor();
    const gap = [post(0), post(1), post(2)];
    await loseRedis(redis, prefix());
    expect(await cursor()).toBe(before);
    await start();
    await waitFor(async () => (await count('post_inbox WHERE tweet_id = ANY($1)', [gap])) === 3, 10_000, 'the gap backfilled into the inbox');
    await waitFor(async () => (await count('posts WHERE tweet_id = ANY($1)', [gap])) === 3, 20_000, 'the gap posts decided');
    expect(BigInt((await cursor())!)).toBeGreaterThanOrEqual(BigInt(gap[2]!));
  }, 60_000);
});
