import { createChargingContext, type ChargingDeps } from './charging-context';
import { createChargeBatch } from './charge-batch';
import { createOrderResumptions } from './order-resumptions';
import { createStaleOrderExpiry } from './stale-orders';
import { createPaymentReports } from './payment-reports';

export type { ChargingDeps } from './charging-context';
export type { ChargeBatchResult } from './charge-batch';

/**
 * The money-moving rules. Every transition locks the order row and checks the state it
 * expects, so a retried job, a duplicate webhook or a crash between Stripe's answer and our
 * write lands in the same place: one charge, one receipt.
 *
 * Composed of parts with one job each, sharing their context (charging-context.ts): the charge
 * batch, the resumptions of waiting orders, the expiry of stale ones, and what Stripe reports
 * outside our own charge call.
 */
export function createChargingService(deps: ChargingDeps) {
  const ctx = createChargingContext(deps);
  return {
    payLink: ctx.payLink,
    ...createChargeBatch(ctx),
    ...createPaymentReports(ctx),
    ...createOrderResumptions(ctx),
    ...createStaleOrderExpiry(ctx),
  };
}
export type ChargingService = ReturnType<typeof createChargingService>;
