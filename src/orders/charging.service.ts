import type { Db, Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import type { Logger } from '../logger';
import { uniqueFollowups, type Followup } from '../queue/followups';
import { PaymentsRejectedError, PaymentsUnavailableError, type ChargeRequest, type ChargeResult, type ChargeSplit, type PaymentsPort } from '../payments/payments.port';
import type { ChargeSplitter } from '../merchants/charge-split';
import { unpaced, type RateBudget } from '../payments/rate-budget';
import type { ChargeOutcome } from '../ops/charge-hook';
import { insertReply } from '../replies/replies.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import type { LinkSigner } from '../links/links';
import type { OrderRow } from './orders.repository';
import { failpoint } from '../failpoints';
import { lockBuyerLimit, spentToday } from '../posts/posts.repository';
import { addSoldOutEventIfLast, findOrderWithProduct, lockOrder, markOrderPaid, markOrdersPaid, shippingNeedOf, startCharges, transitionOrder, type ChargeStart } from './orders.store';
import { canTransition, CHARGE_PENDING, type OrderStatus } from './lifecycle';
import { needsAddress } from '../shipping/address';
import { holdForAddress } from './address-hold';
import { newId } from '../ids';
import { pendingWorkForOrders } from './pending-work.repository';
import { pendingRefundTotal } from '../refunds/refunds.repository';
import { reserveOrderStock } from '../variants/variant-stock';
import { holdForReview } from '../review/review-hold';
import { joinWaitlist, releaseUnits, type WaitlistDeps } from '../waitlist/promotion';

export interface ChargingDeps {
  db: Db;
  payments: PaymentsPort;
  signer: LinkSigner;
  publicBaseUrl: string;
  log: Logger;
  /** How long a buyer has to complete a payment that needs them. */
  actionTtlHours?: number;
  /** Splits each charge between the merchant's connected account and the platform's fee; without it charges stay on the platform. */
  splitter?: ChargeSplitter;
  /** How long a buyer promoted from a waitlist has to link a card. */
  signupTtlHours?: number;
}

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

/**
 * The money-moving rules. Every transition locks the order row and checks the state it
 * expects, so a retried job, a duplicate webhook or a crash between Stripe's answer and our
 * write lands in the same place: one charge, one receipt.
 */
export function createChargingService(d: ChargingDeps) {
  const actionTtlHours = d.actionTtlHours ?? 24;
  const payLink = (orderId: string) => `${d.publicBaseUrl}/pay/${d.signer.sign('pay', orderId)}`;
  // A unit this service frees goes to the product's waitlist in the same transaction.
  const waitlist: WaitlistDeps = { signer: d.signer, publicBaseUrl: d.publicBaseUrl, signupTtlHours: d.signupTtlHours };

  async function replyTo(tx: Tx, order: OrderRow, kind: ReplyKind, productName: string, url?: string, touchOrder = true): Promise<Followup[]> {
    const text = renderReply(kind, { orderId: order.id, product: productName, quantity: order.quantity, amount: order.amount, currency: order.currency, url });
    const row = await insertReply(tx, { inReplyTo: order.tweet_id, orderId: order.id, kind, text }, touchOrder);
    return row ? [{ kind: 'reply', replyId: row.id, replyKind: kind, subject: order.id }] : [];
  }

  /**
   * Runs a step for each of a buyer's orders in one waiting status, oldest first, each in its own
   * transaction with the order locked and its status checked again (a concurrent run moved it on).
   */
  async function eachOrderWaiting(
    xUserId: string,
    status: OrderStatus,
    step: (tx: Tx, order: OrderRow & { product_name: string }) => Promise<Followup[]>,
  ): Promise<Followup[]> {
    const { rows } = await d.db.query<{ id: string }>(
      'SELECT id FROM orders WHERE buyer_x_user_id = $1 AND status = $2 ORDER BY created_at',
      [xUserId, status],
    );
    const followups: Followup[] = [];
    for (const { id } of rows) {
      followups.push(...(await withTransaction(d.db, async (tx) => {
        const order = await lockOrder(tx, id);
        return order?.status === status ? step(tx, order) : [];
      })));
    }
    return followups;
  }

  /** What a job that finds the order already moved on must still hand back (see pendingWorkForOrders). */
  const pendingWork = (orderId: string) => pendingWorkForOrders(d.db, { orderIds: [orderId] });

  async function fail(orderId: string, code: string, message: string, replyKind: ReplyKind, extra: { paymentIntentId?: string | null } = {}): Promise<Followup[]> {
    const followups = await withTransaction(d.db, async (tx) => {
      const order = await lockOrder(tx, orderId);
      if (!order || !CHARGE_PENDING.includes(order.status)) return null;
      const promoted = order.stock_held ? await releaseUnits(tx, order, waitlist) : [];
      const updated = await transitionOrder(tx, order, 'failed', {
        stock_held: false, failure_code: code, failure_message: message.slice(0, 500),
        ...(extra.paymentIntentId ? { payment_intent_id: extra.paymentIntentId } : {}),
      }, { code });
      return [...(await replyTo(tx, updated, replyKind, order.product_name, replyKind === 'declined' ? `${d.publicBaseUrl}/account` : undefined)), ...promoted];
    });
    return followups ?? pendingWork(orderId);
  }

  /** Needs the order's product name and amounts for the receipt text: `known` when the caller has them. */
  async function markPaidNow(orderId: string, paymentIntentId: string, known?: OrderRow & { product_name: string }): Promise<{ followups: Followup[]; late: boolean }> {
    const order = known ?? (await findOrderWithProduct(d.db, orderId));
    if (!order) return { followups: [], late: false };
    const text = renderReply('receipt', { orderId, product: order.product_name, quantity: order.quantity, amount: order.amount, currency: order.currency });
    const r = await markOrderPaid(d.db, orderId, paymentIntentId, { id: newId('rep'), text });
    // Paid already (a retry): the receipt was written then, and may never have been enqueued.
    const followups: Followup[] = r.receipt_reply_id ? [{ kind: 'reply', replyId: r.receipt_reply_id, replyKind: 'receipt', subject: orderId }] : await pendingWork(orderId);
    return { followups, late: r.late };
  }

  const chargeRequest = (order: ChargeStart): ChargeRequest => ({
    orderId: order.id, customerId: order.stripe_customer_id!, paymentMethodId: order.payment_method_id!, amount: order.amount, currency: order.currency,
    description: `${order.quantity} × ${order.product_name} (${order.id})`,
    metadata: chargeMetadata(order),
    idempotencyKey: `${order.id}-charge`,
    shipping: order.shipping,
    receiptEmail: order.receipt_email,
  });

  /** A charge that did not succeed, settled on its own order (declines and 3-D Secure are the rare case). */
  async function settleUnpaid(order: ChargeStart, result: Exclude<ChargeResult, { outcome: 'succeeded' }>, budget: RateBudget, split: ChargeSplit | null): Promise<Followup[]> {
    if (result.outcome === 'declined') {
      d.log.info({ order_id: order.id, code: result.code, decline_code: result.declineCode }, 'charge declined');
      const message = result.declineCode ? `${result.message} (${result.declineCode})` : result.message;
      return fail(order.id, result.code, message, 'declined', { paymentIntentId: result.paymentIntentId });
    }
    // The bank wants the buyer: a payment-mode Checkout Session for this order, reached through our own short link.
    const [opened] = await budget.paced([() => d.payments.createPaymentCheckout({
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
    const followups = await withTransaction(d.db, async (tx) => {
      const current = await lockOrder(tx, order.id);
      if (!current || current.status !== 'charging') return null;
      const updated = await transitionOrder(tx, current, 'requires_action', {
        payment_intent_id: result.paymentIntentId, checkout_session_id: session.id,
        action_expires_at: new Date(Date.now() + actionTtlHours * 3600_000),
      }, { payment_intent: result.paymentIntentId, checkout_session: session.id });
      return replyTo(tx, updated, 'action_required', order.product_name, payLink(order.id));
    });
    return followups ?? pendingWork(order.id);
  }

  /**
   * Charges a batch of orders: started in one statement, one Stripe call per order (concurrent,
   * within `budget`, each under its order's idempotency key), the paid ones settled in one
   * statement, the rest on their own orders. Orders Stripe could not be reached for stay
   * `charging` and come back in `unavailable`, to be retried on their own: a re-run finds the
   * others settled and hands back only their pending work.
   */
  async function chargeOrders(orderIds: string[], budget: RateBudget = unpaced): Promise<ChargeBatchResult> {
    const started = await startCharges(d.db, [...new Set(orderIds)]);
    const startedIds = new Set(started.map((o) => o.id));
    const idle = orderIds.filter((id) => !startedIds.has(id));
    const followups: Followup[] = idle.length ? await pendingWorkForOrders(d.db, { orderIds: idle }) : [];
    const outcomes: ChargeBatchResult['outcomes'] = idle.map((orderId) => ({ orderId, outcome: 'noop' as const }));
    const unavailable: ChargeBatchResult['unavailable'] = [];

    const linked = started.filter((o) => o.stripe_customer_id && o.payment_method_id);
    for (const order of started.filter((o) => !linked.includes(o))) {
      followups.push(...(await fail(order.id, 'buyer_unlinked', 'the buyer removed their card before the charge', 'failed')));
      outcomes.push({ orderId: order.id, outcome: 'failed' });
    }
    const splits = d.splitter ? await d.splitter.decide(linked.map((o) => o.id)) : new Map<string, ChargeSplit | null>();
    const answers = await budget.paced(linked.map((order) => () => d.payments.chargeOrder({ ...chargeRequest(order), split: splits.get(order.id) ?? null })));
    // Only after Stripe was asked: a re-run that finds its orders settled asks Stripe nothing.
    if (linked.length) failpoint('after_stripe_charge');

    const paid: Array<{ order: ChargeStart; paymentIntentId: string; transferId?: string | null }> = [];
    const unpaid: Array<{ order: ChargeStart; result: Exclude<ChargeResult, { outcome: 'succeeded' }> }> = [];
    const rejected: Array<{ order: ChargeStart; err: PaymentsRejectedError }> = [];
    linked.forEach((order, i) => {
      const answer = answers[i]!;
      if (answer.status === 'fulfilled') {
        if (answer.value.outcome === 'succeeded') paid.push({ order, paymentIntentId: answer.value.paymentIntentId, transferId: answer.value.transferId });
        else unpaid.push({ order, result: answer.value });
        return;
      }
      const err: unknown = answer.reason;
      if (err instanceof PaymentsRejectedError) {
        d.log.error({ order_id: order.id, code: err.code, err: err.message }, 'charge rejected by Stripe; order failed');
        rejected.push({ order, err });
        return;
      }
      unavailable.push({ orderId: order.id, error: err instanceof Error ? err : new Error(String(err)) });
      outcomes.push({ orderId: order.id, outcome: 'error' });
    });

    const settled = await markOrdersPaid(d.db, paid.map(({ order, paymentIntentId }) => ({
      orderId: order.id, paymentIntentId,
      receipt: { id: newId('rep'), text: renderReply('receipt', { orderId: order.id, product: order.product_name, quantity: order.quantity, amount: order.amount, currency: order.currency }) },
    })));
    await d.splitter?.recordTransfers(paid.flatMap(({ order, transferId }) => (transferId ? [{ orderId: order.id, transferId }] : [])));
    const rerun = settled.filter((r) => !r.receipt_reply_id).map((r) => r.order_id);
    for (const r of settled) {
      if (r.receipt_reply_id) followups.push({ kind: 'reply', replyId: r.receipt_reply_id, replyKind: 'receipt', subject: r.order_id });
      outcomes.push({ orderId: r.order_id, outcome: r.receipt_reply_id ? 'succeeded' : 'noop' });
    }
    // Paid already (a retry): the receipt was written then, and may never have been enqueued.
    if (rerun.length) followups.push(...(await pendingWorkForOrders(d.db, { orderIds: rerun })));

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

  /**
   * expireStale with the work it leaves: the units it frees go to the waitlists (charges, replies to
   * enqueue). A deadline set on the order (a #confirm window, a promoted buyer's time to sign up)
   * wins over the signup TTL counted from its creation.
   */
  async function expireStaleWithWork(now = new Date(), signupTtlHours = 24): Promise<{ expired: string[]; followups: Followup[] }> {
    const { rows } = await d.db.query<{ id: string }>(
      `SELECT id FROM orders WHERE (status IN ('requires_action', 'awaiting_confirmation') AND action_expires_at < $1)
          OR (status IN ('awaiting_signup', 'awaiting_details')
              AND COALESCE(action_expires_at, created_at + make_interval(hours => $2)) < $1::timestamptz)
       LIMIT 500`,
      [now, signupTtlHours],
    );
    const expired: string[] = [];
    const followups: Followup[] = [];
    for (const { id } of rows) {
      await withTransaction(d.db, async (tx) => {
        const order = await lockOrder(tx, id);
        if (!order || !canTransition(order.status, 'expired')) return;
        const promoted = order.stock_held ? await releaseUnits(tx, order, waitlist) : [];
        const code = {
          requires_action: 'authentication_not_completed', awaiting_details: 'address_not_given', awaiting_confirmation: 'confirmation_not_given',
        }[order.status as string] ?? 'signup_not_completed';
        await transitionOrder(tx, order, 'expired', { stock_held: false, failure_code: code });
        expired.push(id);
        followups.push(...promoted);
      });
    }
    return { expired, followups: uniqueFollowups(followups) };
  }

  return {
    payLink,

    /** Charges one reserved order off-session. Throws PaymentsUnavailableError to be retried with the same key. */
    async chargeOrder(orderId: string, budget: RateBudget = unpaced): Promise<Followup[]> {
      const r = await chargeOrders([orderId], budget);
      if (r.unavailable[0]) throw r.unavailable[0].error;
      return r.followups;
    },

    chargeOrders,

    /** Stripe says the order's money arrived (webhook). Idempotent. */
    async markPaid(orderId: string, paymentIntentId: string): Promise<{ followups: Followup[]; late: boolean }> {
      return markPaidNow(orderId, paymentIntentId);
    },

    /** A buyer just linked a card: their waiting orders go through the pipeline now. */
    async resumeWaitingOrders(xUserId: string, buyerId: string): Promise<Followup[]> {
      const followups = await eachOrderWaiting(xUserId, 'awaiting_signup', async (tx, order) => {
        // The same daily limit as a fresh post, under the same buyer lock: a relinked buyer's
        // waiting orders neither skip it nor race a post being matched at the same moment.
        const limit = await lockBuyerLimit(tx, buyerId);
        if (limit !== null && (await spentToday(tx, xUserId, order.currency)) + order.amount > limit) {
          // A buyer promoted from the waitlist held a unit: it moves on to the next in line.
          const promoted = order.stock_held ? await releaseUnits(tx, order, waitlist) : [];
          const over = await transitionOrder(tx, order, 'failed', { buyer_id: buyerId, stock_held: false, failure_code: 'daily_limit_exceeded', failure_message: "would exceed the buyer's daily spending limit" }, { code: 'daily_limit_exceeded', resumed: true });
          return [...(await replyTo(tx, over, 'spending_limit', order.product_name, `${d.publicBaseUrl}/account`)), ...promoted];
        }
        // Promoted from the waitlist: the unit is held already.
        if (order.stock_held) {
          const reserved = await transitionOrder(tx, order, 'reserved', { buyer_id: buyerId }, { resumed: true });
          if (await holdForReview(tx, reserved)) return [];
          return (await holdForAddress(tx, reserved, order.product_name, d.publicBaseUrl)) ?? [{ kind: 'charge' as const, orderId: order.id }];
        }
        const took = await reserveOrderStock(tx, order);
        if (took) {
          const reserved = await transitionOrder(tx, order, 'reserved', { stock_held: took.held, buyer_id: buyerId }, { resumed: true });
          await addSoldOutEventIfLast(tx, order.id, order.product_id);
          // The merchant's review rules apply here as they do to a linked buyer's post (issue 15).
          if (await holdForReview(tx, reserved)) return [];
          return (await holdForAddress(tx, reserved, order.product_name, d.publicBaseUrl)) ?? [{ kind: 'charge' as const, orderId: order.id }];
        }
        // The last unit went while they signed up: they join the waitlist at their post's place, if it keeps one.
        const queued = await joinWaitlist(tx, order, order.product_name, { buyer_id: buyerId });
        if (queued) return queued;
        const sold = await transitionOrder(tx, order, 'sold_out', { buyer_id: buyerId, failure_code: 'sold_out' }, { resumed: true });
        return replyTo(tx, sold, 'sold_out', order.product_name);
      });
      // A retried setup event finds no order still awaiting signup: what an earlier run wrote
      // before dying short of its enqueue is handed back too (duplicates are dropped by job id).
      return uniqueFollowups([...followups, ...(await pendingWorkForOrders(d.db, { buyerXUserId: xUserId }))]);
    },

    /** The buyer saved an address: their orders waiting for one that ship to it go on to the charge. */
    resumeAwaitingDetails(xUserId: string): Promise<Followup[]> {
      return eachOrderWaiting(xUserId, 'awaiting_details', async (tx, order) => {
        const need = await shippingNeedOf(tx, order.id);
        // Still outside the product's countries: it keeps waiting (and expires with the signup TTL).
        if (!need || needsAddress(need, need.address)) return [];
        await transitionOrder(tx, order, 'reserved', {}, { resumed: true });
        return [{ kind: 'charge' as const, orderId: order.id }];
      });
    },

    /** Orders whose buyer never confirmed, never signed up or never gave an address expire and give their stock back. */
    async expireStale(now = new Date(), signupTtlHours = 24): Promise<string[]> {
      return (await expireStaleWithWork(now, signupTtlHours)).expired;
    },

    expireStaleWithWork,

    /** Refund totals as Stripe reports them on charge.refunded. */
    async applyRefund(paymentIntentId: string, amountRefunded: number): Promise<void> {
      await withTransaction(d.db, async (tx) => {
        const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE payment_intent_id = $1 FOR UPDATE', [paymentIntentId]);
        const order = rows[0];
        if (!order) return;
        // Stripe's total counts refunds still pending; ours are counted when they settle (refund.updated).
        amountRefunded -= await pendingRefundTotal(tx, order.id);
        // Totals only grow: an event about an earlier refund, arriving late, changes nothing.
        if (amountRefunded <= order.amount_refunded) return;
        const status = amountRefunded >= order.amount ? 'refunded' : 'partially_refunded';
        if (!canTransition(order.status, status)) return;
        await transitionOrder(tx, order, status, { amount_refunded: amountRefunded }, { amount_refunded: amountRefunded });
      });
    },
  };
}
export type ChargingService = ReturnType<typeof createChargingService>;
