import type { ChargingService } from '../orders/charging.service';
import type { Followup } from '../queue/followups';

export type ChargeOutcome = 'succeeded' | 'declined' | 'failed' | 'requires_action' | 'noop' | 'error';

/** The reply a charge leaves behind says how it ended; no reply means the order was already settled. */
export function chargeOutcome(followups: Followup[]): ChargeOutcome {
  for (const f of followups) {
    if (f.kind !== 'reply') continue;
    if (f.replyKind === 'receipt') return 'succeeded';
    if (f.replyKind === 'declined') return 'declined';
    if (f.replyKind === 'action_required') return 'requires_action';
    return 'failed';
  }
  return 'noop';
}

/** Times chargeOrder without touching the charging rules: same object, one method wrapped. */
export function timedCharging(charging: ChargingService, onCharge: (outcome: ChargeOutcome, seconds: number) => void): ChargingService {
  return {
    ...charging,
    async chargeOrder(orderId: string) {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const followups = await charging.chargeOrder(orderId);
        onCharge(chargeOutcome(followups), seconds());
        return followups;
      } catch (err) {
        onCharge('error', seconds());
        throw err;
      }
    },
  };
}
