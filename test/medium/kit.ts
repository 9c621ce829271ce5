import http from 'node:http';
import Stripe from 'stripe';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { DelayedError, type Job } from 'bullmq';
import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';
import { startXEmulator, type NewPost, type PostView, type UserView, type XEmulator, type XEmulatorOptions } from '../../emulators/x';
import { createLogger } from '../../src/logger';
import { createRuntime, type Runtime } from '../../src/runtime';
import { createApp } from '../../src/http/app';
import { pipelineMounts } from '../../src/http/mounts';
import { writeInbox } from '../../src/ingest/inbox.repository';
import { enqueuePosts } from '../../src/ingest/sink';
import { startMaintenance } from '../../src/queue/maintenance';
import { createRefundsService } from '../../src/refunds/refunds.service';
import { enqueueFollowups } from '../../src/queue/followups';
import type { QueueKey } from '../../src/queue/queues';
import type { XRepliesPort } from '../../src/x/x.port';
import { STRIPE_EVENTS_HANDLED } from '../../src/webhooks/stripe.routes';
import { tweetsProcessor } from '../../workers/tweets';
import { chargesProcessor } from '../../workers/charges';
import { repliesProcessor } from '../../workers/replies';
import { stripeEventsProcessor } from '../../workers/stripe-events';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testConfig } from '../support/app';
import { loseRedis } from '../support/redis-loss';

/**
 * The medium tier's rig: the service's runtime (real PostgreSQL, Redis, and the Stripe and X
 * emulators through the real SDKs) in this process. The merchant API and Stripe's webhook are
 * served by the real app on a local port; queued jobs are run by the real processors, called
 * directly, so a test decides when each step happens and nothing waits on a timer.
 */
export interface MoneyKit {
  rt: Runtime;
  app: Express;
  stripe: StripeEmulator;
  x: XEmulator;
  shop: UserView;
  merchant: { id: string; apiKey: string };
  /** The merchant's API key as a request header. */
  merchantAuth: { Authorization: string };
  /** stripe-node pointed at the Stripe emulator: what Stripe itself holds (intents, events, refunds). */
  stripeApi: Stripe;
  /** Every call the service made to X to post a reply (after any answer, 429 included). */
  replyCalls: string[];
  get<T = Record<string, unknown>>(path: string): Promise<T>;
  send(method: 'post' | 'patch', path: string, body: Record<string, unknown>): Promise<request.Response>;
  product(hashtag: string, fields?: Record<string, unknown>): Promise<string>;
  buyer(username: string, card?: string): Promise<UserView>;
  /** A buyer posts on X (perhaps as a reply); ingest's path: read back from X's search, written to the inbox, queued. */
  post(author: UserView, text: string, extra?: Pick<NewPost, 'in_reply_to_tweet_id'>): Promise<string>;
  /** Several buyers post the same text; ingest reads them back in one search and hands them on as one batch, in post order. */
  postAll(authors: UserView[], text: string): Promise<string[]>;
  /** Runs every job queued (waiting, prioritized) until the queues are idle; Stripe's webhooks land first. */
  settle(): Promise<void>;
  /** Runs one queue's jobs once; returns the jobs a processor held back (delayed), with the time asked. */
  runQueue(queue: QueueKey): Promise<Array<{ id: string; until: number }>>;
  /** One job run by its processor, as a worker would (twice if a test says so). */
  runJob(queue: QueueKey, job: Pick<Job, 'id' | 'name' | 'data'>): Promise<{ result?: unknown; delayedUntil?: number }>;
  ordersOfPost(postId: string): Promise<Array<Record<string, unknown>>>;
  repliesOn(postId: string): PostView[];
  /** The maintenance sweep, once, as if the sweep delay had passed for everything in PostgreSQL. */
  sweepAfterDelay(): Promise<void>;
  /** Redis loses every key of this deployment (a restart without persistence). */
  loseRedis(): Promise<number>;
  queued(): Promise<Record<QueueKey, number>>;
  close(): Promise<void>;
}

const CONSUMER = { key: 'medium-consumer-key', secret: 'medium-consumer-secret' };
const WEBHOOK_SECRET = 'whsec_mediumtier0123456789';

export async function startMoneyKit(opts: { x?: XEmulatorOptions } = {}): Promise<MoneyKit> {
  const database: TestDatabase = await createTestDatabase();
  const stripe = await startStripeEmulator({ webhookRetryBaseMs: 100 });
  const x = await startXEmulator({
    consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret,
    rateLimits: { tweets_post: null, search_recent: null, rules_post: null, rules_get: null, stream_connect: null },
    ...opts.x,
  });
  const shop = x.createUser({ username: 'shop', name: 'The Shop' });
  const creds = x.oauth1Credentials(shop.id);
  const config = testConfig({
    DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_medium', STRIPE_API_BASE: stripe.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    X_API_BASE: x.url, X_BEARER_TOKEN: 'medium-app-bearer', X_API_KEY: CONSUMER.key, X_API_SECRET: CONSUMER.secret,
    X_ACCESS_TOKEN: creds.access_token, X_ACCESS_SECRET: creds.access_token_secret, X_CLIENT_ID: 'medium-client', X_SHOP_USERNAME: 'shop',
    MAINTENANCE_INTERVAL_MS: '3600000', SWEEP_STALE_AFTER_SECONDS: '120',
  });
  const rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  const app = createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stripe.addWebhookEndpoint({ url: `${apiUrl}/webhooks/stripe`, secret: WEBHOOK_SECRET, enabled_events: [...STRIPE_EVENTS_HANDLED] });
  const created = await request(app).post('/v1/merchants').set('Authorization', `Bearer ${config.ADMIN_TOKEN}`).send({ name: 'Medium Mugs' }).expect(201);
  const merchant = { id: created.body.id as string, apiKey: created.body.api_key as string };
  const auth = { Authorization: `Bearer ${merchant.apiKey}` };

  // The port the replies worker talks to, counted: "no storm" is a number of calls to X.
  const replyCalls: string[] = [];
  const xReplies: XRepliesPort = {
    ...rt.xReplies,
    postReply: (inReplyTo, text) => {
      replyCalls.push(inReplyTo);
      return rt.xReplies.postReply(inReplyTo, text);
    },
  };
  const ingestX = rt.x.ingest;
  const refunds = createRefundsService({ db: rt.db, payments: rt.payments, log: rt.log, enqueue: (f) => enqueueFollowups(rt.queues, f) });
  const processors: Record<QueueKey, (job: Job, token?: string) => Promise<unknown>> = {
    tweets: tweetsProcessor({ matching: rt.matching(shop.id), refunds, queues: rt.queues, log: rt.log }),
    charges: chargesProcessor({ charging: rt.charging, queues: rt.queues, log: rt.log }),
    replies: repliesProcessor({ db: rt.db, redis: rt.redis, x: xReplies, prefix: config.QUEUE_PREFIX, log: rt.log, publicBaseUrl: config.PUBLIC_BASE_URL }),
    stripeEvents: stripeEventsProcessor({ db: rt.db, charging: rt.charging, buyers: rt.buyers, payments: rt.payments, queues: rt.queues, log: rt.log }),
  };
  const sweep = startMaintenance(rt, 3_600_000);
  sweep.stop();

  const kit: MoneyKit = {
    rt, app, stripe, x, shop, merchant, replyCalls, merchantAuth: auth,
    stripeApi: new Stripe('sk_test_medium', { host: '127.0.0.1', port: stripe.port, protocol: 'http', maxNetworkRetries: 0 }),
    async get(path) {
      return (await request(app).get(path).set(auth).expect(200)).body;
    },
    send: (method, path, body) => request(app)[method](path).set(auth).send(body),
    async product(hashtag, fields = {}) {
      const res = await request(app).post('/v1/products').set(auth)
        .send({ name: 'Mug', hashtag, unit_amount: 1800, currency: 'usd', shipping: 'none', ...fields }).expect(201);
      return res.body.id;
    },
    async buyer(username, card = 'pm_card_visa') {
      const user = x.createUser({ username });
      await rt.buyers.linkTestCard(user.id, username, card);
      return user;
    },
    async post(author, text, extra = {}) {
      const injected = x.injectTweet({ author_id: author.id, text, ...extra });
      const hashtag = /#\w+/.exec(text)?.[0] ?? '@shop';
      const page = await ingestX.searchRecent(hashtag, { maxResults: 100 });
      const posts = page.posts.filter((p) => p.id === injected.id);
      if (posts.length !== 1) throw new Error(`post ${injected.id} not found on X by ${hashtag}`);
      await enqueuePosts(rt.queues.tweets, await writeInbox(rt.db, posts));
      return injected.id;
    },
    async postAll(authors, text) {
      const ids = new Set(authors.map((a) => x.injectTweet({ author_id: a.id, text }).id));
      const page = await ingestX.searchRecent(/#\w+/.exec(text)?.[0] ?? '@shop', { maxResults: 100 });
      const posts = page.posts.filter((p) => ids.has(p.id)).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      if (posts.length !== ids.size) throw new Error(`found ${posts.length} of ${ids.size} posts on X`);
      await enqueuePosts(rt.queues.tweets, await writeInbox(rt.db, posts), posts.length);
      return posts.map((p) => p.id);
    },
    async runJob(queue, job) {
      let delayedUntil: number | undefined;
      // What a BullMQ worker hands a processor; a delay the processor asks for is noted, not slept.
      const running = { ...job, opts: {}, attemptsMade: 0, moveToDelayed: async (until: number) => { delayedUntil = until; } } as unknown as Job;
      try {
        return { result: await processors[queue](running, 'medium-token') };
      } catch (err) {
        if (err instanceof DelayedError) return { delayedUntil };
        throw err;
      }
    },
    async runQueue(queue) {
      const held: Array<{ id: string; until: number }> = [];
      const jobs = await rt.queues[queue].getJobs(['waiting', 'prioritized']);
      for (const job of jobs.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))) {
        const run = await kit.runJob(queue, job);
        await job.remove();
        if (run.delayedUntil === undefined) continue;
        // Held back as a worker's moveToDelayed would: the same job, delayed until the time asked.
        held.push({ id: job.id!, until: run.delayedUntil });
        await rt.queues[queue].add(job.name, job.data, { jobId: job.id!, priority: job.priority || undefined, delay: Math.max(1, run.delayedUntil - Date.now()) });
      }
      return held;
    },
    async settle() {
      for (let round = 0; round < 20; round++) {
        await stripe.webhooksIdle();
        const counts = await kit.queued();
        if (Object.values(counts).every((n) => n === 0)) return;
        for (const queue of ['tweets', 'charges', 'stripeEvents', 'replies'] as const) {
          const held = await kit.runQueue(queue);
          if (held.length) throw new Error(`${queue} held back ${held.length} job(s); a test that expects that runs the queue itself`);
        }
      }
      throw new Error('the queues did not settle in 20 rounds');
    },
    async ordersOfPost(postId) {
      const { rows } = await rt.db.query<{ id: string }>('SELECT id FROM orders WHERE tweet_id = $1 ORDER BY created_at', [postId]);
      return Promise.all(rows.map((r) => kit.get(`/v1/orders/${r.id}`)));
    },
    repliesOn: (postId) => x.tweets({ author_id: shop.id, in_reply_to_tweet_id: postId }),
    async sweepAfterDelay() {
      await rt.db.query(`UPDATE post_inbox SET received_at = received_at - interval '1 hour'`);
      await rt.db.query(`UPDATE orders SET updated_at = updated_at - interval '1 hour'`);
      await rt.db.query(`UPDATE replies SET created_at = created_at - interval '1 hour'`);
      await rt.db.query(`UPDATE stripe_events SET received_at = received_at - interval '1 hour'`);
      await rt.redis.del(`${config.QUEUE_PREFIX}:maintenance:lock`);
      await sweep.runOnce();
    },
    loseRedis: () => loseRedis(rt.redis, config.QUEUE_PREFIX),
    async queued() {
      const counts = {} as Record<QueueKey, number>;
      for (const [key, queue] of Object.entries(rt.queues) as Array<[QueueKey, (typeof rt.queues)[QueueKey]]>) {
        const c = await queue.getJobCounts('waiting', 'prioritized');
        counts[key] = Object.values(c).reduce((a, b) => a + b, 0);
      }
      return counts;
    },
    async close() {
      await stripe.webhooksIdle().catch(() => undefined);
      await loseRedis(rt.redis, config.QUEUE_PREFIX);
      await new Promise((resolve) => server.close(resolve));
      await rt.close();
      await Promise.all([stripe.close(), x.close()]);
      await database.drop();
    },
  };
  return kit;
}
