import type { Redis } from 'ioredis';

// Atomic, as FLUSHALL is: nothing is written between the first key dropped and the last (a
// script runs alone), so no job outlives the lists that held it, or the other way round.
const DROP_PREFIX = `
local cursor = '0'
local dropped = 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do dropped = dropped + redis.call('UNLINK', key) end
until cursor == '0'
return dropped`;

/**
 * What FLUSHALL does to one deployment, without touching anyone else's keys on a shared Redis:
 * every key under the deployment's prefix (queues, jobs, lease, locks, rate limits) is gone.
 * Returns how many keys were dropped.
 */
export async function loseRedis(redis: Redis, prefix: string): Promise<number> {
  return Number(await redis.eval(DROP_PREFIX, 0, `${prefix}:*`));
}
