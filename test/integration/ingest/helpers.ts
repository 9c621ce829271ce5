import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { startXEmulator, type UserView, type XEmulator, type XEmulatorOptions } from '../../../emulators/x';
import type { Config } from '../../../src/config';
import { createPool, type Db } from '../../../src/db/pool';
import { startIngest, notifyProductsChanged, type Ingest, type IngestDeps } from '../../../src/ingest';
import { createLogger } from '../../../src/logger';
import { hashtagKey } from '../../../src/products/hashtag';
import { closeQueues, createQueues, type Queues } from '../../../src/queue/queues';
import { createXClients, type XClients } from '../../../src/x/x.adapter';
import { createXIngestAdapter } from '../../../src/x/x.ingest';
import type { InboundPost } from '../../../src/x/x.port';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { REDIS_URL, testConfig } from '../../support/app';

export const BEARER = 'ingest-test-bearer-Secret123';

export interface IngestHarness {
  emu: XEmulator;
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  tweets: Queue;
  clients: XClients;
  shop: UserView;
  buyer: UserView;
  logs: string[];
  instances: Ingest[];
  start(options?: IngestDeps['options'], instanceId?: string, config?: Config): Promise<Ingest>;
  addProduct(hashtag: string): Promise<string>;
  archiveProduct(id: string): Promise<void>;
  notify(): void;
  /** Posts `@shop #<tag> ...` as the buyer. */
  post(tag: string, extra?: string): { id: string };
  /** Ids of the posts handed on in `batch` jobs, sorted; a post handed on twice is there twice. */
  jobIds(): Promise<string[]>;
  /** The ingest cursor as stored in PostgreSQL. */
  cursor(): Promise<string | null>;
  /** Sets the cursor back (a test's way to make the next backfill find posts again). */
  rewindCursor(id: string): Promise<void>;
  /** A post as handed on (its first appearance). */
  job(postId: string): Promise<InboundPost | undefined>;
  close(): Promise<void>;
}

/** Polls until fn returns a truthy value; fails with `what` after timeoutMs. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startHarness(env: Record<string, string> = {}, emuOptions: XEmulatorOptions = {}): Promise<IngestHarness> {
  const emu = await startXEmulator({ port: 0, keepAliveMs: 300, ...emuOptions });
  const database: TestDatabase = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, X_SHOP_USERNAME: 'shop', REQUIRE_MENTION: 'true', ...env });
  const db = createPool(database.url, 4);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const url = new URL(REDIS_URL);
  const queues = createQueues({ host: url.hostname, port: Number(url.port || 6379) }, config.QUEUE_PREFIX);
  const clients = createXClients({
    bearerToken: BEARER,
    userTokens: { appKey: 'k', appSecret: 's', accessToken: 'a', accessSecret: 'b' },
    shopUsername: 'shop',
    apiBase: emu.url,
  });
  const shop = emu.createUser({ username: 'shop', name: 'The Shop' });
  const buyer = emu.createUser({ username: 'buyer_one', name: 'Buyer' });
  const merchantId = `mer_${crypto.randomBytes(6).toString('hex')}`;
  await db.query(`INSERT INTO merchants (id, name) VALUES ($1, 'Ingest Test Merchant')`, [merchantId]);
  const logs: string[] = [];
  const log = createLogger('debug', new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const instances: Ingest[] = [];

  /** Every post in the `batch` jobs ingest handed on (a post twice if it went on twice), in job order. */
  const handedOn = async (): Promise<InboundPost[]> => {
    const jobs = await queues.tweets.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'], 0, 10_000, true);
    return jobs.flatMap((j) => (j.data as { posts: InboundPost[] }).posts);
  };
  const h: IngestHarness = {
    emu, config, db, redis, queues, tweets: queues.tweets, clients, shop, buyer, logs, instances,
    async start(options = {}, instanceId, cfg = config) {
      const ingest = await startIngest({
        config: cfg, db, redis, tweetsQueue: queues.tweets, port: createXIngestAdapter(clients), log, options,
        ...(instanceId ? { instanceId } : {}),
      });
      instances.push(ingest);
      return ingest;
    },
    async addProduct(hashtag) {
      const id = `prod_${crypto.randomBytes(6).toString('hex')}`;
      await db.query(
        `INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency) VALUES ($1, $2, $3, $4, $5, 1500, 'usd')`,
        [id, merchantId, `Product ${hashtag}`, hashtag, hashtagKey(hashtag)],
      );
      return id;
    },
    async archiveProduct(id) {
      await db.query(`UPDATE products SET status = 'archived', archived_at = now(), updated_at = now() WHERE id = $1`, [id]);
    },
    notify: () => notifyProductsChanged(redis, config.QUEUE_PREFIX),
    post: (tag, extra = '') => emu.injectTweet({ author_id: buyer.id, text: `@shop #${tag} ${extra}`.trim() }),
    async jobIds() {
      return (await handedOn()).map((p) => p.id).sort();
    },
    async cursor() {
      return (await db.query<{ since_id: string }>('SELECT since_id::text AS since_id FROM ingest_cursor')).rows[0]?.since_id ?? null;
    },
    async rewindCursor(id) {
      await db.query('UPDATE ingest_cursor SET since_id = $1::numeric', [id]);
    },
    async job(postId) {
      return (await handedOn()).find((p) => p.id === postId);
    },
    async close() {
      for (const i of instances) await i.stop().catch(() => undefined);
      await closeQueues(queues);
      const keys = await redis.keys(`${config.QUEUE_PREFIX}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await db.end();
      await database.drop();
      await emu.close();
    },
  };
  return h;
}

/** Fast timings for tests (production defaults are 10 s lease, 25 s keep-alive, X's back-off). */
export const FAST: NonNullable<IngestDeps['options']> = {
  leaseTtlMs: 2000,
  leaseRenewMs: 500,
  standbyPollMs: 300,
  keepAliveTimeoutMs: 2000,
  rulesResyncMs: 30_000,
  pollIntervalMinMs: 300,
  backoff: { networkStepMs: 100, networkMaxMs: 1000, httpStartMs: 300, httpMaxMs: 2000, rateLimitStartMs: 1000, rateLimitMaxMs: 8000 },
};

export function logLines(logs: string[], pattern: RegExp): Array<Record<string, unknown>> {
  return logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => pattern.test(String(l.msg)));
}
