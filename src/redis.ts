import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from './config';

/** BullMQ needs maxRetriesPerRequest: null on connections that block (workers). */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectTimeout: 5000, ...opts });
}

export class RedisUnreachableError extends Error {}

/** One clear line instead of an endless reconnect loop when Redis is not running. */
export async function assertRedisReachable(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new RedisUnreachableError(
      `Redis is not reachable at ${redactUrl(url)} (${(err as Error).message}). Start it, e.g. "redis-server --daemonize yes", or set REDIS_URL.`,
    );
  } finally {
    probe.disconnect();
  }
}
