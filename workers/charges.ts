import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../src/logger';
import type { ChargingService } from '../src/orders/charging.service';
import { enqueueFollowups } from '../src/queue/followups';
import { failpoint } from '../src/failpoints';
import { chargeJobSchema, chargesJobSchema } from '../src/queue/payloads';
import type { Queues } from '../src/queue/queues';
import { PaymentsUnavailableError } from '../src/payments/payments.port';
import { unpaced, type RateBudget } from '../src/payments/rate-budget';

export interface ChargesDeps {
  charging: ChargingService;
  queues: Queues;
  log: Logger;
  /** Stripe's rate budget, shared by every worker process (each Stripe call takes one unit). */
  budget?: RateBudget;
}

/**
 * Queue `charges`: a `charges` job carries a batch of orders (a `charge` job, from before batches,
 * one). The batch starts in one statement, its Stripe calls run concurrently within the shared
 * rate budget, the paid settle in one statement. Orders Stripe could not be reached for make the
 * job throw and be retried with back-off under the same idempotency keys: the retry finds the
 * others settled and calls Stripe only for those.
 */
export function chargesProcessor(d: ChargesDeps) {
  const budget = d.budget ?? unpaced;
  return async (job: Job): Promise<{ orders: number; unavailable: number }> => {
    const parsed = job.name === 'charges' ? chargesJobSchema.safeParse(job.data) : chargeJobSchema.transform((p) => ({ orderIds: [p.orderId] })).safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed charge payload');
    const { orderIds } = parsed.data;
    const { followups, unavailable } = await d.charging.chargeOrders(orderIds, budget);
    failpoint('before_charge_followups');
    await enqueueFollowups(d.queues, followups);
    if (unavailable.length) {
      d.log.warn({ job_id: job.id, attempt: job.attemptsMade + 1, orders: orderIds.length, unavailable: unavailable.map((u) => u.orderId), err: unavailable[0]!.error.message },
        'Stripe unavailable for some orders; they will be retried with the same keys');
      throw new PaymentsUnavailableError(`Stripe unavailable for ${unavailable.length} of ${orderIds.length} orders: ${unavailable[0]!.error.message}`);
    }
    return { orders: orderIds.length, unavailable: 0 };
  };
}
