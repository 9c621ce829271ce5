import crypto from 'node:crypto';
import os from 'node:os';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { XIngestPort } from '../x/x.ingest';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { Cursor } from './cursor';
import { Lease } from './lease';
import { ActiveSession, type IngestOptions, type IngestStatus } from './session';

export type { IngestOptions, IngestStatus } from './session';
export { planRules, searchQueries, filterSuffix, RULE_TAG } from './rules';

export interface IngestDeps {
  config: Config;
  db: Db;
  redis: Redis;
  tweetsQueue: Queue;
  log: Logger;
  instanceId?: string;
  options?: Partial<Omit<IngestOptions, 'backoff'> & { backoff: Partial<BackoffOptions> }>;
  /** X as the ingest needs it (stream, rules, search): the runtime's `x.ingest`, or a test's own. */
  port: XIngestPort;
}

export interface Ingest {
  stop(): Promise<void>;
  isActive(): boolean;
  status(): IngestStatus;
  syncRulesNow(): Promise<void>;
  /** Test hook: dies like a killed process (timers stop, stream drops) without releasing the lease. */
  crash(): Promise<void>;
}

export const PRODUCTS_CHANGED_CHANNEL = (prefix: string) => `${prefix}:products-changed`;

/** The api calls this after a product is created, edited or archived; the active ingest re-syncs its rules. */
export function notifyProductsChanged(redis: Redis, prefix: string): void {
  redis.publish(PRODUCTS_CHANGED_CHANNEL(prefix), String(Date.now())).catch(() => undefined);
}

/**
 * Releases before this one kept the cursor in Redis: carry it over once, so the first start after
 * the upgrade backfills from where the last one stopped instead of from now.
 */
async function adoptRedisCursor(redis: Redis, key: string, cursor: Cursor, log: Logger): Promise<void> {
  try {
    const old = await redis.get(key);
    if (!old || !/^[1-9][0-9]{0,19}$/.test(old)) return;
    const now = await cursor.seed(old);
    await redis.del(key);
    log.info({ cursor: now }, 'ingest: cursor carried over from Redis to PostgreSQL');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'ingest: could not carry over the cursor kept in Redis');
  }
}

export const DEFAULT_INGEST_OPTIONS: IngestOptions = {
  leaseTtlMs: 10_000,
  leaseRenewMs: 3_000,
  standbyPollMs: 2_000,
  keepAliveTimeoutMs: 25_000,
  rulesResyncMs: 60_000,
  rulesDebounceMs: 300,
  pollIntervalMinMs: 2_000,
  searchReserve: 30,
  stableAfterMs: 30_000,
  connectTimeoutMs: 15_000,
  backoff: DEFAULT_BACKOFF,
};

/**
 * Starts the ingest role: every instance competes for the lease; the holder keeps the stream
 * rules in step with live products and holds the X connection (or polls), the others stand by
 * and retry every standbyPollMs. Resolves after the first attempt, so isActive() is meaningful.
 */
export async function startIngest(deps: IngestDeps): Promise<Ingest> {
  const { config, redis, log: baseLog } = deps;
  const options: IngestOptions = {
    ...DEFAULT_INGEST_OPTIONS,
    ...deps.options,
    backoff: { ...DEFAULT_BACKOFF, ...deps.options?.backoff },
  } as IngestOptions;
  const prefix = config.QUEUE_PREFIX;
  const instanceId = deps.instanceId ?? `${os.hostname()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const log = baseLog.child({ role: 'ingest', instance: instanceId });
  const port = deps.port;
  const cursor = new Cursor(deps.db);
  await adoptRedisCursor(redis, `${prefix}:ingest:since_id`, cursor, log);
  const lease = new Lease(redis, `${prefix}:ingest:lease`, `${instanceId}:${crypto.randomBytes(8).toString('hex')}`, options.leaseTtlMs);
  const status: IngestStatus = {
    instanceId, mode: config.X_INGEST_MODE, active: false, connected: false, cursor: null, rules: null, connects: 0, disconnects: 0,
    lastDisconnectReason: null, lastConnectedAt: null, waitingMs: null, streamed: 0, backfilled: 0, polled: 0, lastError: null,
  };

  let session: ActiveSession | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastRenewed = 0;

  const subscriber = redis.duplicate();
  subscriber.on('error', (err) => log.warn({ err: err.message }, 'ingest: subscriber connection error'));
  subscriber.on('message', () => session?.requestRuleSync());
  await subscriber.subscribe(PRODUCTS_CHANGED_CHANNEL(prefix));

  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(() => void tick(), ms);
  };

  const becomeStandby = async (why: string) => {
    const s = session;
    session = null;
    status.active = false;
    log.warn({ reason: why }, `ingest: lease lost (${why}); streaming stopped`);
    await s?.stop();
  };

  // Said once per stretch of standing by, so an on-call engineer can see which instance waits.
  let announcedStandby = false;

  async function tick(): Promise<void> {
    if (stopped) return;
    if (!session) {
      try {
        if (await lease.acquire()) {
          if (stopped) {
            await lease.release();
            return;
          }
          lastRenewed = Date.now();
          status.active = true;
          announcedStandby = false;
          log.info({ ttlMs: options.leaseTtlMs, mode: config.X_INGEST_MODE }, 'ingest: lease acquired; this instance is active');
          session = new ActiveSession({ config, db: deps.db, port, queue: deps.tweetsQueue, cursor, log, options, status });
          session.start();
          return schedule(options.leaseRenewMs);
        }
        if (!announcedStandby) {
          announcedStandby = true;
          log.info({ pollMs: options.standbyPollMs }, 'ingest: standing by; another instance holds the lease');
        }
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'ingest: lease attempt failed');
      }
      return schedule(options.standbyPollMs);
    }
    try {
      const renewed = await lease.renew();
      if (renewed !== 'lost') {
        if (renewed === 'retaken') log.warn('ingest: the lease was gone from Redis (restarted empty?); taken back, streaming goes on');
        lastRenewed = Date.now();
      } else {
        await becomeStandby('taken or expired');
        return schedule(options.standbyPollMs);
      }
    } catch (err) {
      // Cannot reach Redis: once the TTL may have run out, someone else may be active.
      if (Date.now() - lastRenewed >= options.leaseTtlMs - options.leaseRenewMs) {
        await becomeStandby(`renewal failed: ${(err as Error).message}`);
        return schedule(options.standbyPollMs);
      }
    }
    schedule(options.leaseRenewMs);
  }

  await tick();

  const halt = async (release: boolean) => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    const s = session;
    session = null;
    status.active = false;
    await s?.stop(release);
    if (release && s) {
      await lease.release().catch((err) => log.warn({ err: (err as Error).message }, 'ingest: lease release failed'));
      log.info('ingest: lease released');
    }
    if (release) await subscriber.quit().catch(() => undefined);
    else subscriber.disconnect();
  };

  return {
    stop: () => halt(true),
    crash: () => halt(false),
    isActive: () => session !== null,
    status: () => ({ ...status }),
    syncRulesNow: async () => {
      await session?.syncRulesNow();
    },
  };
}
