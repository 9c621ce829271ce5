import type { Runtime } from '../runtime';
import { chargeJobId, replyJobId, enqueueFollowups } from './followups';
import { replySubject, stalePendingReplies } from '../replies/replies.repository';
import { pruneIdempotencyKeys } from '../http/idempotency';
import { REPLY_PRIORITY } from '../replies/templates';
import { rearm, rearmStripeEvent } from './rearm';
import { CHARGE_PENDING, sqlStatuses } from '../orders/lifecycle';
import { createRefundsService } from '../refunds/refunds.service';
import { pruneFinishedDeliveries } from '../webhooks/deliveries.repository';

const STALE_AFTER_S = 120;
// A verified event is queued in the same request that stored it: one still unapplied after this
// long lost its job (the api died between the two, or Redis lost it).
const STRIPE_EVENT_STALE_S = 30;

/** Periodic sweep, one worker process at a time (a Redis lock): expiries, stuck work, old keys and webhook deliveries. */
export function startMaintenance(rt: Runtime, everyMs = 30_000): { stop(): void; runOnce(): Promise<void> } {
  const lockKey = `${rt.config.QUEUE_PREFIX}:maintenance:lock`;
  const log = rt.log.child({ task: 'maintenance' });
  const refunds = createRefundsService({ db: rt.db, payments: rt.payments, log, enqueue: (f) => enqueueFollowups(rt.queues, f) });

  async function runOnce(): Promise<void> {
    const got = await rt.redis.set(lockKey, String(process.pid), 'PX', Math.max(5_000, everyMs - 1_000), 'NX');
    if (!got) return;
    const expired = await rt.charging.expireStale(new Date(), rt.config.SIGNUP_TTL_HOURS);
    if (expired.length) log.info({ orders: expired.length }, 'expired orders that were never completed');

    const { rows } = await rt.db.query<{ id: string }>(
      `SELECT id FROM orders WHERE status IN (${sqlStatuses(CHARGE_PENDING)}) AND updated_at < clock_timestamp() - make_interval(secs => $1) LIMIT 500`,
      [STALE_AFTER_S],
    );
    let rearmed = 0;
    for (const { id } of rows) {
      if (await rearm(rt.queues.charges, chargeJobId(id), () => enqueueFollowups(rt.queues, [{ kind: 'charge', orderId: id }]))) rearmed++;
    }
    for (const r of await stalePendingReplies(rt.db, STALE_AFTER_S, 500)) {
      const subject = replySubject(r);
      if (await rearm(rt.queues.replies, replyJobId(subject, r.kind), () =>
        rt.queues.replies.add(r.kind, { replyId: r.id }, { jobId: replyJobId(subject, r.kind), priority: REPLY_PRIORITY[r.kind] }))) rearmed++;
    }
    const events = await rt.db.query<{ id: string; type: string }>(
      `SELECT id, type FROM stripe_events WHERE processed_at IS NULL AND received_at < clock_timestamp() - make_interval(secs => $1)
       ORDER BY received_at LIMIT 500`,
      [STRIPE_EVENT_STALE_S],
    );
    for (const ev of events.rows) if (await rearmStripeEvent(rt.queues.stripeEvents, ev.id, ev.type)) rearmed++;
    // A refund whose Stripe call never answered is asked again with the same idempotency key.
    const retriedRefunds = await refunds.retryStale(STALE_AFTER_S);
    if (retriedRefunds) log.warn({ refunds: retriedRefunds }, 'asked Stripe again about refunds it never answered');
    if (rearmed) log.warn({ jobs: rearmed }, 're-armed jobs for unfinished orders, replies and Stripe events');
    await pruneIdempotencyKeys(rt.db);
    const pruned = await pruneFinishedDeliveries(rt.db, rt.config.WEBHOOK_DELIVERY_RETENTION_DAYS);
    if (pruned) log.info({ deliveries: pruned, retention_days: rt.config.WEBHOOK_DELIVERY_RETENTION_DAYS }, 'pruned old merchant webhook deliveries');
  }

  const timer = setInterval(() => void runOnce().catch((err) => log.error({ err: (err as Error).message }, 'maintenance failed')), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
