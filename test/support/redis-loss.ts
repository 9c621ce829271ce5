import type { Redis } from 'ioredis';

/**
 * What FLUSHALL does to one deployment, without touching anyone else's keys on a shared Redis:
 * every key under the deployment's prefix (queues, jobs, lease, locks, rate limits) is gone.
 * Returns how many keys were dropped.
 */
export async function loseRedis(redis: Redis, prefix: string): Promise<number> {
  let dropped = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) dropped += await redis.unlink(...keys);
  } while (cursor !== '0');
  return dropped;
}
