import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import net from 'node:net';
import { z } from 'zod';
import { MAX_FEE_BPS, parseFixedFees } from './merchants/platform-fee';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  // Prepared statements per connection (off for a pooler in transaction mode that cannot keep them).
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  DATA_DIR: z.string().default('./data'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, - and _ only').default('hc'),
  ADMIN_TOKEN: optionalString.pipe(z.string().min(24, 'must be at least 24 characters').optional()),
  SIGNING_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).default(25),
  // Failed authentications allowed per client address, and per credential, in 15 minutes.
  AUTH_FAILURES_PER_IP: z.coerce.number().int().min(1).default(10),
  AUTH_FAILURES_PER_CREDENTIAL: z.coerce.number().int().min(1).default(50),
  // Proxies whose X-Forwarded-For is believed: none by default (see trustProxy below).
  TRUST_PROXY: optionalString.pipe(z.string().refine(validTrustProxy, 'must be a hop count, or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal').optional()),
  STRIPE_SECRET_KEY: optionalString.pipe(
    z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'must look like sk_test_... or sk_live_...').optional(),
  ),
  STRIPE_WEBHOOK_SECRET: optionalString.pipe(z.string().startsWith('whsec_', 'must start with whsec_').optional()),
  // Connect endpoints (events about connected accounts, e.g. account.updated) have their own secret.
  STRIPE_CONNECT_WEBHOOK_SECRET: optionalString.pipe(z.string().startsWith('whsec_', 'must start with whsec_').optional()),
  // The platform's fee on each sale: basis points of the amount plus a fixed part per currency
  // (minor units), e.g. PLATFORM_FEE_BPS=290 PLATFORM_FEE_FIXED=usd:30,eur:25,jpy:0.
  PLATFORM_FEE_BPS: z.coerce.number().int('must be a whole number of basis points').min(0).max(MAX_FEE_BPS, `must be at most ${MAX_FEE_BPS} (100 %)`).default(0),
  PLATFORM_FEE_FIXED: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const parsed = parseFixedFees(value);
      if (parsed.ok) return parsed.fixed;
      for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }),
  STRIPE_API_BASE: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  STRIPE_OPS_PER_SECOND: z.coerce.number().int().min(1).default(25),
  X_BEARER_TOKEN: optionalString,
  X_API_KEY: optionalString,
  X_API_SECRET: optionalString,
  X_ACCESS_TOKEN: optionalString,
  X_ACCESS_SECRET: optionalString,
  X_CLIENT_ID: optionalString,
  X_CLIENT_SECRET: optionalString,
  X_API_BASE: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  X_SHOP_USERNAME: z
    .string()
    .regex(/^@?[A-Za-z0-9_]{1,15}$/, 'must be an X username (letters, digits, _; at most 15)')
    .transform((v) => v.replace(/^@/, ''))
    .default('shop'),
  X_INGEST_MODE: z.enum(['stream', 'poll']).default('stream'),
  // Every request to X (replies, reply look-ups, search, stream rules) gives up after this silence.
  X_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  // X's filtered-stream rule cap for the app's access level; products are refused beyond it.
  X_STREAM_MAX_RULES: z.coerce.number().int().min(1).max(100_000).default(1000),
  // Live products (hence hashtags) one merchant may have, so no merchant can fill the stream rules.
  MAX_HASHTAGS_PER_MERCHANT: z.coerce.number().int().min(1).max(100_000).default(100),
  REQUIRE_MENTION: bool.default(true),
  STRIPE_EMULATOR_PORT: port.default(12111),
  X_EMULATOR_PORT: port.default(12112),
  // Ingest hands posts on in batches of up to this many, waiting at most INGEST_BATCH_WAIT_MS for one to fill.
  INGEST_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(5),
  TWEETS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  CHARGES_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  REPLIES_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  // Replies one `replies` job carries: claimed and recorded in one statement each; X still gets one call per reply.
  REPLIES_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  // Posts waiting to be matched above which replies and charges pause (0: never).
  MATCHING_FIRST_BACKLOG: z.coerce.number().int().min(0).default(500),
  JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  ACTION_TTL_HOURS: z.coerce.number().positive().max(168).default(24),
  SIGNUP_TTL_HOURS: z.coerce.number().positive().max(168).default(24),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(25000),
  // How long start-up waits for PostgreSQL and Redis to become reachable (0: try once).
  STARTUP_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  // The sweep that expires orders and re-arms lost jobs (one worker at a time).
  MAINTENANCE_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  WEBHOOK_DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Work left this long without progress (a post without outcome, an order mid-charge, a pending
  // reply or refund) lost its job, to a crash or to Redis losing everything: the sweep re-arms it.
  SWEEP_STALE_AFTER_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
  // Workers get this long to finish in-flight jobs on SIGTERM; what is left is retried elsewhere.
  WORKER_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  // Scrape-only token, so Prometheus never holds the operator token.
  METRICS_TOKEN: optionalString.pipe(z.string().min(24, 'must be at least 24 characters').optional()),
  // Worker and ingest roles serve /healthz and /metrics here; unset = no server.
  METRICS_PORT: optionalString.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(0).max(65535).optional()),
});

export type Env = z.infer<typeof envSchema>;

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validTrustProxy(value: string): boolean {
  if (/^\d+$/.test(value) || value === 'false') return true;
  return value.split(',').every((part) => {
    const [address, bits, ...rest] = part.trim().split('/');
    if (PROXY_PRESETS.has(address!) && bits === undefined) return true;
    const family = net.isIP(address!);
    if (!family || rest.length) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
}

/** Express's `trust proxy` value: false (the default: the peer is the client), a hop count, or a list. */
export function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}

export interface Config extends Env {
  PUBLIC_BASE_URL: string;
  ADMIN_TOKEN: string;
  SIGNING_SECRET: string;
  /** No Stripe key and no X credentials: both emulators run in-process. */
  sandbox: boolean;
  /** Prefix of merchant API keys: live only with a live Stripe key. */
  apiKeyMode: 'test' | 'live';
  /** False when the operator token was generated into DATA_DIR. */
  ADMIN_TOKEN_FROM_ENV: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const X_USER_CONTEXT = ['X_API_KEY', 'X_API_SECRET', 'X_ACCESS_TOKEN', 'X_ACCESS_SECRET'] as const;

/** Parses the environment once; every problem is reported together, never one at a time. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];
  const prod = env.NODE_ENV === 'production';
  const hasX = Boolean(env.X_BEARER_TOKEN || X_USER_CONTEXT.some((k) => env[k]));
  const sandbox = !env.STRIPE_SECRET_KEY && !hasX;

  if (prod) {
    if (sandbox) problems.push('STRIPE_SECRET_KEY and X credentials: required in production (sandbox mode is for development)');
    if (!env.ADMIN_TOKEN) problems.push('ADMIN_TOKEN: required in production');
    if (!env.SIGNING_SECRET) problems.push('SIGNING_SECRET: required in production');
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: required in production (the embedded database is for development)');
    if (!env.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL: required in production');
    if (env.STRIPE_API_BASE) problems.push('STRIPE_API_BASE: the emulator override is refused in production');
    if (env.X_API_BASE) problems.push('X_API_BASE: the emulator override is refused in production');
  }
  if (!sandbox) {
    if (!env.STRIPE_SECRET_KEY) problems.push('STRIPE_SECRET_KEY: required when X credentials are set');
    if (!env.STRIPE_WEBHOOK_SECRET && !env.STRIPE_API_BASE) problems.push('STRIPE_WEBHOOK_SECRET: required with a Stripe key');
    if (!env.X_BEARER_TOKEN) problems.push('X_BEARER_TOKEN: required when a Stripe key is set (app token for reading posts)');
    for (const k of X_USER_CONTEXT) if (!env[k]) problems.push(`${k}: required (user-context credentials of the shop account, for replies)`);
    if (!env.X_CLIENT_ID) problems.push('X_CLIENT_ID: required (OAuth 2.0 client for buyer sign-in)');
  }
  if (problems.length) throw new ConfigError(problems);

  const dev = sandbox || !prod ? devSecrets(env.DATA_DIR, env.NODE_ENV, !env.ADMIN_TOKEN) : undefined;
  return {
    ...env,
    PUBLIC_BASE_URL: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    ADMIN_TOKEN: env.ADMIN_TOKEN ?? dev!.adminToken,
    SIGNING_SECRET: env.SIGNING_SECRET ?? dev!.signingSecret,
    sandbox,
    ADMIN_TOKEN_FROM_ENV: Boolean(env.ADMIN_TOKEN),
    apiKeyMode: env.STRIPE_SECRET_KEY?.includes('_live_') ? 'live' : 'test',
  };
}

/**
 * Outside production a missing admin token or signing secret is generated once and kept in
 * DATA_DIR (mode 0600), so a newcomer needs no setup and the secret never reaches a log.
 */
function devSecrets(dataDir: string, nodeEnv: string, adminTokenUsed: boolean): { adminToken: string; signingSecret: string } {
  if (nodeEnv === 'test') {
    return { adminToken: crypto.randomBytes(24).toString('base64url'), signingSecret: crypto.randomBytes(32).toString('hex') };
  }
  const file = path.resolve(dataDir, 'dev-secrets.json');
  let secrets: { adminToken: string; signingSecret: string };
  try {
    secrets = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    secrets = { adminToken: crypto.randomBytes(24).toString('base64url'), signingSecret: crypto.randomBytes(32).toString('hex') };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  // The file the banner points to holds the token in use: none when ADMIN_TOKEN is set, back if deleted.
  const tokenFile = path.resolve(dataDir, 'admin-token');
  if (adminTokenUsed && !fs.existsSync(tokenFile)) fs.writeFileSync(tokenFile, secrets.adminToken, { mode: 0o600 });
  return secrets;
}

/** A URL safe to print: credentials removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
