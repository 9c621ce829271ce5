import type { Redis } from 'ioredis';

/**
 * Stripe's rate budget is per account, so it is kept in Redis and shared by every worker process:
 * windows of `duration` ms, at most `max` calls starting in each, on Redis's clock (the processes'
 * clocks need not agree). A batch asks for as many calls as it has left and gets what the current
 * window still holds, in one round trip; it waits for the next window for the rest.
 *
 * Why not BullMQ's limiter: it counts jobs, and a `charges` job carries up to a batch of orders,
 * each its own Stripe call. Job weights are not part of BullMQ's open-source limiter.
 */
export interface RateBudget {
  /** Runs `calls` (each one Stripe call), starting them concurrently as the budget allows; settles like Promise.allSettled. */
  paced<T>(calls: Array<() => Promise<T>>): Promise<PromiseSettledResult<T>[]>;
}

// KEYS[1]: key prefix. ARGV: want, max, duration ms. Returns { granted, ms until the next window }.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local duration = tonumber(ARGV[3])
local window = math.floor(now / duration)
local key = KEYS[1] .. ':' .. window
local used = tonumber(redis.call('GET', key) or '0')
local granted = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if granted > 0 then
  redis.call('INCRBY', key, granted)
  redis.call('PEXPIRE', key, duration * 2)
else
  granted = 0
end
return { granted, (window + 1) * duration - now }
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRateBudget(redis: Redis, key: string, limit: { max: number; duration: number }): RateBudget {
  async function take(want: number): Promise<{ granted: number; waitMs: number }> {
    const [granted, waitMs] = (await redis.eval(TAKE, 1, key, want, limit.max, limit.duration)) as [number, number];
    return { granted, waitMs: Math.max(1, waitMs) };
  }

  return {
    async paced<T>(calls: Array<() => Promise<T>>) {
      const started: Promise<T>[] = [];
      while (started.length < calls.length) {
        const { granted, waitMs } = await take(calls.length - started.length);
        for (const call of calls.slice(started.length, started.length + granted)) started.push(call());
        if (started.length < calls.length) await sleep(waitMs);
      }
      return Promise.allSettled(started);
    },
  };
}

/** No pacing (tests of the charging rules that do not exercise the budget). */
export const unpaced: RateBudget = { paced: (calls) => Promise.allSettled(calls.map((call) => call())) };

/** Stripe's rate budget as windows: at most `opsPerSecond` × 1.1 in any second however the windows fall; never above Stripe's own second for a budget ≥ 10. */
export function stripeLimiter(opsPerSecond: number): { max: number; duration: number } {
  return opsPerSecond >= 10 ? { max: Math.floor(opsPerSecond / 10), duration: 100 } : { max: opsPerSecond, duration: 1000 };
}
