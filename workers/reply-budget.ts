import type { Redis } from 'ioredis';
import type { ReplyBudget } from '../src/replies/public-notices';

/**
 * What X's rate-limit headers last said about the shop's posts, shared by every worker process:
 * the aggregated-notice decision reads it, and every post takes one of the window's posts left
 * first, so the calls in flight across workers never ask X for more than it has (a 429 per call
 * in flight at the end of a window otherwise).
 */
const budgetKey = (prefix: string) => `${prefix}:x:replies:budget`;
const tokensKey = (prefix: string, resetAt: number) => `${prefix}:x:replies:left:${resetAt}`;

// Lowers the window's count of posts left to what X says, never raises it: calls already counted
// here may not have reached X yet when its answer to an earlier one left.
const LOWER_TO = `local v = redis.call('GET', KEYS[1])
if (not v) or tonumber(v) > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;
// 2: the window is not known yet (the call finds out); 1: one post taken; 0: none left above the floor.
const TAKE = `local v = redis.call('GET', KEYS[1])
if not v then return 2 end
if tonumber(v) - 1 < tonumber(ARGV[1]) then return 0 end
redis.call('DECR', KEYS[1])
return 1`;

export async function recordReplyBudget(redis: Redis, prefix: string, budget: ReplyBudget): Promise<void> {
  const ttl = Math.max(1000, budget.resetAt - Date.now() + 1000);
  await redis.set(budgetKey(prefix), JSON.stringify(budget), 'PX', ttl);
  await redis.eval(LOWER_TO, 1, tokensKey(prefix, budget.resetAt), String(Math.max(0, budget.remaining)), String(ttl));
}

/** Null when X has not said anything for the current window (or it has reset since). */
export async function readReplyBudget(redis: Redis, prefix: string): Promise<ReplyBudget | null> {
  const raw = await redis.get(budgetKey(prefix));
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as ReplyBudget;
    return Number.isFinite(parsed.limit) && Number.isFinite(parsed.remaining) && Number.isFinite(parsed.resetAt) ? parsed : null;
  } catch {
    return null;
  }
}

/** Posts of each window kept for what a buyer must act on and for public notices (none when the window is tiny). */
export const reserveOf = (limit: number): number => Math.floor(limit / 20);

/**
 * Takes one post of the current window before calling X; with keepReserve, not one of the
 * window's last reserveOf(limit) posts.
 * `{ ok: false, resetAt }`: none left for this caller until then.
 */
export async function takePost(redis: Redis, prefix: string, keepReserve: boolean): Promise<{ ok: true } | { ok: false; resetAt: number }> {
  const budget = await readReplyBudget(redis, prefix);
  if (!budget || budget.resetAt <= Date.now()) return { ok: true };
  const floor = keepReserve ? reserveOf(budget.limit) : 0;
  const taken = Number(await redis.eval(TAKE, 1, tokensKey(prefix, budget.resetAt), String(floor)));
  return taken === 0 ? { ok: false, resetAt: budget.resetAt } : { ok: true };
}
