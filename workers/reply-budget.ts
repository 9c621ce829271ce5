import type { Redis } from 'ioredis';
import type { ReplyBudget } from '../src/replies/public-notices';

/**
 * What X's rate-limit headers last said about the shop's posts, shared by every worker process:
 * the aggregated-notice decision reads it. Kept until the window it describes has reset.
 */
const budgetKey = (prefix: string) => `${prefix}:x:replies:budget`;

export async function recordReplyBudget(redis: Redis, prefix: string, budget: ReplyBudget): Promise<void> {
  const ttl = Math.max(1000, budget.resetAt - Date.now() + 1000);
  await redis.set(budgetKey(prefix), JSON.stringify(budget), 'PX', ttl);
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
