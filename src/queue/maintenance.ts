import type { Queue } from 'bullmq';
import type { Runtime } from '../runtime';
import { chargeJobId, replyJobId, enqueueFollowups } from './followups';
import { stalePendingReplies } from '../replies/replies.repository';
import { pruneIdempotencyKeys } from '../http/idempotency';
import { REPLY_PRIORITY } from '../replies/templates';

const STALE_AFTER_S = 120;

/**
 * Re-arms a job that is gone or failed for good: the order or reply it served is still
 * unfinished, so "nothing is lost" does not depend on Redis having kept the job.
 */
async function rearm(queue: Queue, id: string, add: () => Promise<unknown>): Promise<boolean> {
  const job = await queue.getJob(id);
  if (!job) {
    await add();
    return true;
  }
  if (await job.isFailed()) {
    await job.retry('failed');
    return true;
  }
  return false;
}

/** Periodic sweep, one worker process at a time (a Redis lock): expiries, stuck work, old keys. */
export function startMaintenance(rt: Runtime, everyMs = 30_000): { stop(): void; runOnce(): Promise<void> } {
  const lockKey = `${rt.config.QUEUE_PREFIX}:maintenance:lock`;
  const log = rt.log.child({ task: 'maintenance' });

  async function runOnce(): Promise<void> {
    const got = await rt.redis.set(lockKey, String(process.pid), 'PX', Math.max(5_000, everyMs - 1_000), 'NX');
    if (!got) return;
    const expired = await rt.charging.expireStale(new Date(), rt.config.SIGNUP_TTL_HOURS);
    if (expired.length) log.info({ orders: expired.length }, 'expired orders that were never completed');

    const { rows } = await rt.db.query<{ id: string }>(
      `SELECT id FROM orders WHERE status IN ('reserved', 'charging') AND updated_at < clock_timestamp() - make_interval(secs => $1) LIMIT 500`,
      [STALE_AFTER_S],
    );
    let rearmed = 0;
    for (const { id } of rows) {
      if (await rearm(rt.queues.charges, chargeJobId(id), () => enqueueFollowups(rt.queues, [{ kind: 'charge', orderId: id }]))) rearmed++;
    }
    for (const r of await stalePendingReplies(rt.db, STALE_AFTER_S, 500)) {
      const subject = r.order_id ?? r.in_reply_to_tweet_id;
      if (await rearm(rt.queues.replies, replyJobId(subject, r.kind), () =>
        rt.queues.replies.add(r.kind, { replyId: r.id }, { jobId: replyJobId(subject, r.kind), priority: REPLY_PRIORITY[r.kind] }))) rearmed++;
    }
    if (rearmed) log.warn({ jobs: rearmed }, 're-armed jobs for unfinished orders and replies');
    await pruneIdempotencyKeys(rt.db);
  }

  const timer = setInterval(() => void runOnce().catch((err) => log.error({ err: (err as Error).message }, 'maintenance failed')), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
