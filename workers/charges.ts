import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../src/logger';
import type { ChargingService } from '../src/orders/charging.service';
import { enqueueFollowups } from '../src/queue/followups';
import { failpoint } from '../src/failpoints';
import { chargeJobSchema } from '../src/queue/payloads';
import type { Queues } from '../src/queue/queues';
import { PaymentsUnavailableError } from '../src/payments/payments.port';

export interface ChargesDeps {
  charging: ChargingService;
  queues: Queues;
  log: Logger;
}

/**
 * Queue `charges`: paced by the Worker's limiter to Stripe's rate budget. A Stripe outage is
 * thrown and retried with back-off under the same idempotency key; everything else is settled
 * on the order by the charging service.
 */
export function chargesProcessor(d: ChargesDeps) {
  return async (job: Job): Promise<void> => {
    const parsed = chargeJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed charge payload');
    const { orderId } = parsed.data;
    try {
      const followups = await d.charging.chargeOrder(orderId);
      failpoint('before_charge_followups');
      await enqueueFollowups(d.queues, followups);
    } catch (err) {
      if (err instanceof PaymentsUnavailableError) {
        d.log.warn({ order_id: orderId, job_id: job.id, attempt: job.attemptsMade + 1, err: err.message }, 'Stripe unavailable; charge will be retried with the same key');
      }
      throw err;
    }
  };
}
