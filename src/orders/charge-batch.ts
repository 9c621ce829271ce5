import type { Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import { uniqueFollowups, type Followup } from '../queue/followups';
import { PaymentsRejectedError, PaymentsUnavailableError, type ChargeRequest, type ChargeResult, type ChargeSplit } from '../payments/payments.port';
import { unpaced, type RateBudget } from '../payments/rate-budget';
import type { ChargeOutcome } from '../ops/charge-hook';
import type { ReplyKind } from '../replies/templates';
import type { OrderRow } from './orders.repository';
import { failpoint } from '../failpoints';
import { settleInGroups } from './settle-groups';
import { handBackDeferredEvents } from '../webhooks/stripe-events.repository';
import { lockOrder, transitionOrder } from './orders.store';
import { markOrdersPaid, startCharges, type ChargeStart } from './charges.store';
import { CHARGE_IN_FLIGHT, CHARGE_PENDING } from './lifecycle';
import { newId } from '../ids';
import { pendingWorkForOrders } from './pending-work.repository';
import { releaseUnits } from '../waitlist/promotion';
import { receiptText, type ChargingContext } from './charging-context';

export interface ChargeBatchResult {
  /** Work the batch left behind (receipts and other replies; enqueued after this returns). */
  followups: Followup[];
  /** Orders Stripe could not be reached for: still `charging`, retried under the same idempotency keys. */
  unavailable: Array<{ orderId: string; error: Error }>;
  /** How each order's charge ended (metrics); `noop` for one found already settled. */
  outcomes: Array<{ orderId: string; outcome: ChargeOutcome }>;
}

/**
 * What a PaymentIntent carries to find its order again; the variant only for orders of one, so a
 * retried charge of an order from before variants sends the same parameters under its idempotency key.
 */
function chargeMetadata(order: { id: string; tweet_id: string; product_id: string; merchant_id: string; variant_id: string | null }): Record<string, string> {
  return {
    order_id: order.id, tweet_id: order.tweet_id, product_id: order.product_id, merchant_id: order.merchant_id,
    ...(order.variant_id ? { variant_id: order.variant_id } : {}),
  };
}

const chargeRequest = (order: ChargeStart): ChargeRequest => ({
  orderId: order.id, customerId: order.stripe_customer_id!, paymentMethodId: order.payment_method_id!, amount: order.amount, currency: order.currency,
  description: `${order.quantity} × ${order.product_name} (${order.id})`,
  metadata: chargeMetadata(order),
  idempotencyKey: `${order.id}-charge`,
  shipping: order.shipping,
  receiptEmail: order.receipt_email,
});

/** Stripe's answer for one order of a batch: paid. */
interface PaidAnswer { order: ChargeStart; paymentIntentId: string; transferId?: string | null }

/** The off-session charge of reserved orders, one order or a batch, and how each answer settles its order. */
export function createChargeBatch(ctx: ChargingContext) {
  const { deps, payLink, waitlist, replyTo, pendingWork } = ctx;
  const actionTtlHours = deps.actionTtlHours ?? 24;

  /**
   * A payment Stripe reported while this order's charge call was in flight was left to that call's
   * answer (the webhook stored it as dealt with, no job). The order is leaving `charging` another
   * way (a retry refused, say because the card changed; the card removed; the bank wanting the
   * buyer), so the answer will not settle it: the event goes back to its job, which the sweep
   * gives it, and is applied as any payment for an order in this state (paid, or late and refunded).
   */
  async function handBackPayments(tx: Tx, order: OrderRow): Promise<void> {
    if (!CHARGE_IN_FLIGHT.includes(order.status)) return;
    const events = await handBackDeferredEvents(tx, order.id);
    if (events.length) deps.log.warn({ order_id: order.id, events }, 'payment reported while the charge was in flight; its event goes back to its job');
  }

  async function fail(orderId: string, code: string, message: string, replyKind: ReplyKind, extra: { paymentIntentId?: string | null } = {}): Promise<Followup[]> {
    const followups = await withTransaction(deps.db, async (tx) => {
      const order = await lockOrder(tx, orderId);
      if (!order || !CHARGE_PENDING.includes(order.status)) return null;
      const promoted = order.stock_held ? await releaseUnits(tx, order, waitlist) : [];
      const updated = await transitionOrder(tx, order, 'failed', {
        stock_held: false, failure_code: code, failure_message: message.slice(0, 500),
        ...(extra.paymentIntentId ? { payment_intent_id: extra.paymentIntentId } : {}),
      }, { code });
      await handBackPayments(tx, order);
      return [...(await replyTo(tx, updated, replyKind, order.product_name, replyKind === 'declined' ? `${deps.publicBaseUrl}/account` : undefined)), ...promoted];
    });
    return followups ?? pendingWork(orderId);
  }

  /** A charge that did not succeed, settled on its own order (declines and 3-D Secure are the rare case). */
  async function settleUnpaid(order: ChargeStart, result: Exclude<ChargeResult, { outcome: 'succeeded' }>, budget: RateBudget, split: ChargeSplit | null): Promise<Followup[]> {
    if (result.outcome === 'declined') {
      deps.log.info({ order_id: order.id, code: result.code, decline_code: result.declineCode }, 'charge declined');
      const message = result.declineCode ? `${result.message} (${result.declineCode})` : result.message;
      return fail(order.id, result.code, message, 'declined', { paymentIntentId: result.paymentIntentId });
    }
    // The bank wants the buyer: a payment-mode Checkout Session for this order, reached through our own short link.
    const [opened] = await budget.paced([() => deps.payments.createPaymentCheckout({
      idempotencyKey: `${order.id}-action`,
      customerId: order.stripe_customer_id!,
      amount: order.amount, currency: order.currency, quantity: order.quantity, productName: order.product_name,
      successUrl: `${payLink(order.id)}?done=1`,
      cancelUrl: `${payLink(order.id)}?canceled=1`,
      metadata: { order_id: order.id, purpose: 'order_action' },
      paymentIntentMetadata: chargeMetadata(order),
      split,
    })]);
    if (opened!.status === 'rejected') throw opened!.reason;
    const session = opened!.value;
    const followups = await withTransaction(deps.db, async (tx) => {
      const current = await lockOrder(tx, order.id);
      if (!current || current.status !== 'charging') return null;
      const updated = await transitionOrder(tx, current, 'requires_action', {
        payment_intent_id: result.paymentIntentId, checkout_session_id: session.id,
        action_expires_at: new Date(Date.now() + actionTtlHours * 3600_000),
      }, { payment_intent: result.paymentIntentId, checkout_session: session.id });
      await handBackPayments(tx, current);
      return replyTo(tx, updated, 'action_required', order.product_name, payLink(order.id));
    });
    return followups ?? pendingWork(order.id);
  }

  /**
   * One group of paid answers in one statement (orders, stock, events, receipts), then their
   * transfers. An order found paid already (a re-run) hands back its pending work instead.
   */
  async function settlePaid(paid: PaidAnswer[]): Promise<Pick<ChargeBatchResult, 'followups' | 'outcomes'>> {
    const settled = await markOrdersPaid(deps.db, paid.map(({ order, paymentIntentId }) => ({
      orderId: order.id, paymentIntentId,
      receipt: { id: newId('rep'), text: receiptText(order) },
    })));
    await deps.splitter?.recordTransfers(paid.flatMap(({ order, transferId }) => (transferId ? [{ orderId: order.id, transferId }] : [])));
    const followups: Followup[] = [];
    const outcomes: ChargeBatchResult['outcomes'] = [];
    const rerun = settled.filter((r) => !r.receipt_reply_id).map((r) => r.order_id);
    for (const r of settled) {
      if (r.receipt_reply_id) followups.push({ kind: 'reply', replyId: r.receipt_reply_id, replyKind: 'receipt', subject: r.order_id });
      outcomes.push({ orderId: r.order_id, outcome: r.receipt_reply_id ? 'succeeded' : 'noop' });
    }
    // Paid already (a retry): the receipt was written then, and may never have been enqueued.
    if (rerun.length) followups.push(...(await pendingWorkForOrders(deps.db, { orderIds: rerun })));
    return { followups, outcomes };
  }

  /**
   * Charges a batch of orders: started in one statement, one Stripe call per order (concurrent,
   * within `budget`, each under its order's idempotency key), the paid ones settled as their
   * answers arrive, a small group per statement (settleInGroups), the rest on their own orders
   * once every answer is in. Orders Stripe could not be reached for stay `charging` and come back
   * in `unavailable`, to be retried on their own: a re-run finds the others settled and hands back
   * only their pending work.
   */
  async function chargeOrders(orderIds: string[], budget: RateBudget = unpaced): Promise<ChargeBatchResult> {
    const started = await startCharges(deps.db, [...new Set(orderIds)]);
    const startedIds = new Set(started.map((o) => o.id));
    const idle = orderIds.filter((id) => !startedIds.has(id));
    const followups: Followup[] = idle.length ? await pendingWorkForOrders(deps.db, { orderIds: idle }) : [];
    const outcomes: ChargeBatchResult['outcomes'] = idle.map((orderId) => ({ orderId, outcome: 'noop' as const }));
    const unavailable: ChargeBatchResult['unavailable'] = [];

    const linked = started.filter((o) => o.stripe_customer_id && o.payment_method_id);
    for (const order of started.filter((o) => !linked.includes(o))) {
      followups.push(...(await fail(order.id, 'buyer_unlinked', 'the buyer removed their card before the charge', 'failed')));
      outcomes.push({ orderId: order.id, outcome: 'failed' });
    }
    const splits = deps.splitter ? await deps.splitter.decide(linked.map((o) => o.id)) : new Map<string, ChargeSplit | null>();
    const groups = settleInGroups<PaidAnswer>(async (group) => {
      // Only after Stripe was asked: a re-run that finds its orders settled asks Stripe nothing.
      failpoint('after_stripe_charge');
      const done = await settlePaid(group);
      followups.push(...done.followups);
      outcomes.push(...done.outcomes);
    });
    let answers: Array<PromiseSettledResult<ChargeResult>>;
    try {
      answers = await budget.paced(linked.map((order) => async () => {
        const result = await deps.payments.chargeOrder({ ...chargeRequest(order), split: splits.get(order.id) ?? null });
        if (result.outcome === 'succeeded') groups.add({ order, paymentIntentId: result.paymentIntentId, transferId: result.transferId });
        return result;
      }));
    } catch (err) {
      // The budget itself failed (Redis): what was paid is still settled before the job is retried.
      await groups.done().catch(() => undefined);
      throw err;
    }
    // As above, for a batch none of whose answers was paid.
    if (linked.length) failpoint('after_stripe_charge');

    const unpaid: Array<{ order: ChargeStart; result: Exclude<ChargeResult, { outcome: 'succeeded' }> }> = [];
    const rejected: Array<{ order: ChargeStart; err: PaymentsRejectedError }> = [];
    linked.forEach((order, i) => {
      const answer = answers[i]!;
      if (answer.status === 'fulfilled') {
        if (answer.value.outcome !== 'succeeded') unpaid.push({ order, result: answer.value });
        return;
      }
      const err: unknown = answer.reason;
      if (err instanceof PaymentsRejectedError) {
        deps.log.error({ order_id: order.id, code: err.code, err: err.message }, 'charge rejected by Stripe; order failed');
        rejected.push({ order, err });
        return;
      }
      unavailable.push({ orderId: order.id, error: err instanceof Error ? err : new Error(String(err)) });
      outcomes.push({ orderId: order.id, outcome: 'error' });
    });
    // The last group, and every group still settling.
    await groups.done();

    for (const { order, err } of rejected) {
      followups.push(...(await fail(order.id, err.code, err.message, 'failed')));
      outcomes.push({ orderId: order.id, outcome: 'failed' });
    }
    for (const { order, result } of unpaid) {
      try {
        followups.push(...(await settleUnpaid(order, result, budget, splits.get(order.id) ?? null)));
        outcomes.push({ orderId: order.id, outcome: result.outcome });
      } catch (err) {
        if (!(err instanceof PaymentsUnavailableError)) throw err;
        unavailable.push({ orderId: order.id, error: err });
        outcomes.push({ orderId: order.id, outcome: 'error' });
      }
    }
    return { followups: uniqueFollowups(followups), unavailable, outcomes };
  }

  return {
    /** Charges one reserved order off-session. Throws PaymentsUnavailableError to be retried with the same key. */
    async chargeOrder(orderId: string, budget: RateBudget = unpaced): Promise<Followup[]> {
      const r = await chargeOrders([orderId], budget);
      if (r.unavailable[0]) throw r.unavailable[0].error;
      return r.followups;
    },

    chargeOrders,
  };
}
