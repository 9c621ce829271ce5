import type { ChargingService } from '../orders/charging.service';

export type ChargeOutcome = 'succeeded' | 'declined' | 'failed' | 'requires_action' | 'noop' | 'error';

/**
 * Times charges without touching the charging rules: same object, the batch method wrapped. Each
 * order of a batch is counted with the batch's duration (its calls run concurrently).
 */
export function timedCharging(charging: ChargingService, onCharge: (outcome: ChargeOutcome, seconds: number) => void): ChargingService {
  const chargeOrders: ChargingService['chargeOrders'] = async (orderIds, budget) => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await charging.chargeOrders(orderIds, budget);
      for (const o of result.outcomes) onCharge(o.outcome, seconds());
      return result;
    } catch (err) {
      onCharge('error', seconds());
      throw err;
    }
  };
  return {
    ...charging,
    chargeOrders,
    async chargeOrder(orderId, budget) {
      const r = await chargeOrders([orderId], budget);
      if (r.unavailable[0]) throw r.unavailable[0].error;
      return r.followups;
    },
  };
}
