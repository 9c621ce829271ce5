import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../../emulators/stripe';
import { startXEmulator, type NewPost, type PostView, type XEmulator, type XEmulatorOptions } from '../../emulators/x';
import { createTestDatabase, type TestDatabase } from './db';
import { freePort, runService, type ServiceProcess } from './process';
import { REDIS_URL, testPrefix } from './app';
import pg from 'pg';
import { Redis } from 'ioredis';
import { STRIPE_EVENTS_HANDLED } from '../../src/webhooks/stripe.routes';

export type Role = 'api' | 'worker' | 'ingest' | 'all';

export interface StackOptions {
  env?: Record<string, string>;
  stripe?: StripeEmulatorOptions;
  x?: XEmulatorOptions;
}

export interface Stack {
  stripe: StripeEmulator;
  x: XEmulator;
  database: TestDatabase;
  db: pg.Pool;
  prefix: string;
  apiUrl: string;
  admin: string;
  shop: { id: string; username: string };
  env: Record<string, string>;
  procs: Map<string, ServiceProcess>;
  /** Starts a role as a real process and waits until it is up. */
  start(role: Role, name?: string, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(name: string, signal?: NodeJS.Signals): Promise<number | null>;
  api<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  createMerchant(name?: string): Promise<{ id: string; apiKey: string }>;
  createProduct(apiKey: string, body: Record<string, unknown>): Promise<{ id: string; hashtag: string }>;
  buyer(username: string, paymentMethod?: string | null): Promise<{ id: string; username: string }>;
  post(input: NewPost): PostView;
  repliesTo(tweetId: string): PostView[];
  close(): Promise<void>;
}

const ADMIN = 'stack-admin-token-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_stacktestsecret0123456789';
const CONSUMER = { key: 'stack-consumer-key', secret: 'stack-consumer-secret' };

/**
 * The whole service as real processes against real PostgreSQL and Redis and both emulators
 * (in this test process), wired exactly as in production but for the base-URL overrides.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const database = await createTestDatabase();
  const stripe = await startStripeEmulator({
    webhookEndpoints: [{ url: `${apiUrl}/webhooks/stripe`, secret: WEBHOOK_SECRET, enabled_events: [...STRIPE_EVENTS_HANDLED] }],
    webhookRetryBaseMs: 200,
    ...opts.stripe,
  });
  const x = await startXEmulator({
    consumerKey: CONSUMER.key,
    consumerSecret: CONSUMER.secret,
    keepAliveMs: 2000,
    rateLimits: { tweets_post: null, search_recent: null, rules_post: null, rules_get: null, stream_connect: null },
    ...opts.x,
  });
  const shopUser = x.createUser({ username: 'shop', name: 'The Shop' });
  const creds = x.oauth1Credentials(shopUser.id);
  const prefix = testPrefix();
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    PORT: String(port),
    PUBLIC_BASE_URL: apiUrl,
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN: ADMIN,
    SIGNING_SECRET: 'stack-signing-secret-0123456789abcdef0123',
    API_RATE_LIMIT_PER_SECOND: '1000',
    STRIPE_SECRET_KEY: 'sk_test_stack',
    STRIPE_API_BASE: stripe.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_OPS_PER_SECOND: '100',
    X_API_BASE: x.url,
    X_BEARER_TOKEN: 'stack-app-bearer',
    X_API_KEY: CONSUMER.key,
    X_API_SECRET: CONSUMER.secret,
    X_ACCESS_TOKEN: creds.access_token,
    X_ACCESS_SECRET: creds.access_token_secret,
    X_CLIENT_ID: 'stack-client',
    X_SHOP_USERNAME: 'shop',
    SHUTDOWN_TIMEOUT_MS: '15000',
    ...opts.env,
  };
  const db = new pg.Pool({ connectionString: database.url, max: 3 });
  const procs = new Map<string, ServiceProcess>();

  const stack: Stack = {
    stripe, x, database, db, prefix, apiUrl, admin: ADMIN, env, procs,
    shop: { id: shopUser.id, username: shopUser.username },
    async start(role, name = role, extraEnv = {}) {
      const p = runService([role], { ...env, ...extraEnv });
      procs.set(name, p);
      const ready = role === 'ingest' ? /ingest: (lease acquired|standing by|stream connected|another instance)/ : /Hashtag Checkout is up/;
      await p.waitFor(ready, 60_000);
      return p;
    },
    async stop(name, signal = 'SIGTERM') {
      const p = procs.get(name);
      if (!p) return null;
      procs.delete(name);
      return p.stop(signal);
    },
    async api(method, path, token, body) {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    async createMerchant(name = 'Stack Merchant') {
      const r = await stack.api<{ id: string; api_key: string }>('POST', '/v1/merchants', ADMIN, { name });
      if (r.status !== 201) throw new Error(`create merchant: ${r.status} ${JSON.stringify(r.body)}`);
      return { id: r.body.id, apiKey: r.body.api_key };
    },
    async createProduct(apiKey, body) {
      // Unless a test is about shipping, its buyers need no address: the card is the whole signup.
      const r = await stack.api<{ id: string; hashtag: string }>('POST', '/v1/products', apiKey, { shipping: 'none', ...body });
      if (r.status !== 201) throw new Error(`create product: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async buyer(username, paymentMethod = 'pm_card_visa') {
      const u = x.createUser({ username });
      if (paymentMethod) {
        const r = await stack.api('POST', '/v1/sandbox/buyers', ADMIN, { x_user_id: u.id, x_username: username, payment_method: paymentMethod });
        if (r.status !== 201) throw new Error(`link buyer: ${r.status} ${JSON.stringify(r.body)}`);
      }
      return { id: u.id, username };
    },
    post: (input) => x.injectTweet(input),
    repliesTo: (tweetId) => x.tweets({ in_reply_to_tweet_id: tweetId }),
    async close() {
      await Promise.all([...procs.keys()].map((n) => stack.stop(n, 'SIGKILL')));
      await db.end();
      await Promise.all([stripe.close(), x.close()]);
      await database.drop();
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    },
  };
  return stack;
}

/** Polls until check returns a truthy value. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
