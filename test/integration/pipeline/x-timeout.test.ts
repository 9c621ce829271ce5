import { UnrecoverableError, type Job } from 'bullmq';
import { startXEmulator, type UserView, type XEmulator } from '../../../emulators/x';
import { createPool, type Db } from '../../../src/db/pool';
import { createLogger } from '../../../src/logger';
import { createXClients, createXRepliesAdapter, type XClients } from '../../../src/x/x.adapter';
import { createXIngestAdapter, XIngestError } from '../../../src/x/x.ingest';
import { XTimeoutError } from '../../../src/x/x.port';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { REDIS_URL, testPrefix } from '../../support/app';
import { repliesProcessor } from '../../../workers/replies';

// Every call to X has a timeout: a hung X fails the call with a clear error the worker retries.
const CONSUMER = { key: 'timeout-consumer-key', secret: 'timeout-consumer-secret' };
const TIMEOUT_MS = 300;
let emu: XEmulator;
let database: TestDatabase;
let db: Db;
let clients: XClients;
let shop: UserView;
let buyer: UserView;
let redis: Redis;
const prefix = testPrefix();

beforeAll(async () => {
  emu = await startXEmulator({ consumerKey: CONSUMER.key, consumerSecret: CONSUMER.secret });
  shop = emu.createUser({ username: 'shop' });
  buyer = emu.createUser({ username: 'buyer_t' });
  const creds = emu.oauth1Credentials(shop.id);
  clients = createXClients({
    bearerToken: 'timeout-app-bearer',
    userTokens: { appKey: CONSUMER.key, appSecret: CONSUMER.secret, accessToken: creds.access_token, accessSecret: creds.access_token_secret },
    shopUsername: 'shop',
    apiBase: emu.url,
    timeoutMs: TIMEOUT_MS,
  });
  database = await createTestDatabase();
  db = createPool(database.url, 3);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterEach(() => emu.clearFaults());
afterAll(async () => {
  await redis.del(`${prefix}:x:replies:until`);
  redis.disconnect();
  await db.end();
  await database.drop();
  await emu.close();
});

describe('a call to X that never answers', () => {
  it('postReply and findOwnReply fail with a timeout error, not a hang', async () => {
    const x = createXRepliesAdapter(clients, 'shop');
    const post = emu.injectTweet({ author_id: buyer.id, text: '@shop #BuyLamp' });
    emu.injectFault({ path: '/2/tweets', method: 'POST', stall: true });
    const posting = x.postReply(post.id, 'Thanks!');
    await expect(posting).rejects.toBeInstanceOf(XTimeoutError);
    await expect(posting).rejects.toThrow(`X did not answer within ${TIMEOUT_MS} ms`);
    emu.injectFault({ path: '/2/tweets/search/recent', stall: true });
    await expect(x.findOwnReply(post.id)).rejects.toBeInstanceOf(XTimeoutError);
  });

  it('search and stream-rule calls of ingest fail with a timeout error it backs off from', async () => {
    const ingest = createXIngestAdapter(clients);
    emu.injectFault({ path: '/2/tweets/search/recent', stall: true });
    const search = ingest.searchRecent('#BuyLamp', {});
    await expect(search).rejects.toBeInstanceOf(XIngestError);
    await expect(search).rejects.toMatchObject({ kind: 'network', message: `X did not answer within ${TIMEOUT_MS} ms` });
    emu.injectFault({ path: '/2/tweets/search/stream/rules', stall: true, count: 2 });
    await expect(ingest.listRules()).rejects.toMatchObject({ kind: 'network', message: `X did not answer within ${TIMEOUT_MS} ms` });
    await expect(ingest.addRules([{ value: '#BuyLamp', tag: 't' }])).rejects.toMatchObject({ kind: 'network' });
  });

  it('the replies worker retries a timed-out reply, and the buyer gets it exactly once', async () => {
    const post = emu.injectTweet({ author_id: buyer.id, text: '@shop #BuyDesk' });
    await db.query(`INSERT INTO replies (id, in_reply_to_tweet_id, kind, text) VALUES ('rep_t1', $1, 'how_to_buy', 'How to buy: ...')`, [post.id]);
    const process = repliesProcessor({ db, redis, x: createXRepliesAdapter(clients, 'shop'), prefix, log: createLogger('silent'), publicBaseUrl: 'http://localhost:3000' });
    const job = { id: 'reply-t1', data: { replyId: 'rep_t1' } } as Job;

    emu.injectFault({ path: '/2/tweets', method: 'POST', stall: true });
    const first = process(job).then(() => null, (err: unknown) => err);
    const err = await first;
    expect(err).toBeInstanceOf(XTimeoutError);
    expect(err).not.toBeInstanceOf(UnrecoverableError); // BullMQ retries it with back-off
    const pending = await db.query(`SELECT status FROM replies WHERE id = 'rep_t1'`);
    expect(pending.rows[0].status).toBe('pending');
    expect(emu.tweets({ in_reply_to_tweet_id: post.id, source: 'api' })).toHaveLength(0);

    // The retry comes once the claim of the unanswered attempt has lapsed; X answers again.
    emu.clearFaults();
    await db.query(`UPDATE replies SET last_attempt_at = last_attempt_at - interval '1 hour' WHERE id = 'rep_t1'`);
    await expect(process(job)).resolves.toEqual({ posted: 1, refused: 0, alreadyFinished: 0 });
    expect(emu.tweets({ in_reply_to_tweet_id: post.id, source: 'api' })).toHaveLength(1);
  });
});
