import type { Db, Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import type { Logger } from '../logger';
import { uniqueFollowups, type Followup } from '../queue/followups';
import { PaymentsRejectedError, type PaymentsPort } from '../payments/payments.port';
import { insertReply } from '../replies/replies.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import type { LinkSigner } from '../links/links';
import type { OrderRow } from './orders.repository';
import { failpoint } from '../failpoints';
import { lockBuyerLimit, spentToday } from '../posts/posts.repository';
import { addSoldOutEventIfLast, findOrderWithProduct, lockOrder, markOrderPaid, releaseStock, reserveStock, shippingNeedOf, startCharge, transitionOrder } from './orders.store';
import { canTransition, CHARGE_PENDING, type OrderStatus } from './lifecycle';
import { needsAddress } from '../shipping/address';
import { holdForAddress } from './address-hold';
import { newId } from '../ids';
import { pendingWorkForOrders } from './pending-work.repository';
import { pendingRefundTotal } from '../refunds/refunds.repository';

export interface ChargingDeps {
  db: Db;
  payments: PaymentsPort;
  signer: LinkSigner;
  publicBaseUrl: string;
  log: Logger;
  /** How long a buyer has to complete a payment that needs them. */
  actionTtlHours?: number;
}

/**
 * The money-moving rules. Every transition locks the order row and checks the state it
 * expects, so a retried job, a duplicate webhook or a crash between Stripe's answer and our
 * write lands in the same place: one charge, one receipt.
 */
export function createChargingService(d: ChargingDeps) {
  const actionTtlHours = d.actionTtlHours ?? 24;
  const payLink = (orderId: string) => `${d.publicBaseUrl}/pay/${d.signer.sign('pay', orderId)}`;

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
      if (order.stock_held) await releaseStock(tx, order.product_id, order.quantity);
      const updated = await transitionOrder(tx, order, 'failed', {
        stock_held: false, failure_code: code, failure_message: message.slice(0, 500),
        ...(extra.paymentIntentId ? { payment_intent_id: extra.paymentIntentId } : {}),
      }, { code });
      return replyTo(tx, updated, replyKind, order.product_name, replyKind === 'declined' ? `${d.publicBaseUrl}/account` : undefined);
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

  return {
    payLink,

    /** Charges a reserved order off-session. Throws PaymentsUnavailableError to be retried with the same key. */
    async chargeOrder(orderId: string): Promise<Followup[]> {
      const order = await startCharge(d.db, orderId);
      if (!order) return pendingWork(orderId);
      const { stripe_customer_id: customerId, payment_method_id: paymentMethodId, product_name: productName } = order;
      if (!customerId || !paymentMethodId) return fail(orderId, 'buyer_unlinked', 'the buyer removed their card before the charge', 'failed');

      let result;
      try {
        result = await d.payments.chargeOrder({
          orderId, customerId, paymentMethodId, amount: order.amount, currency: order.currency,
          description: `${order.quantity} × ${productName} (${order.id})`,
          metadata: { order_id: order.id, tweet_id: order.tweet_id, product_id: order.product_id, merchant_id: order.merchant_id },
          idempotencyKey: `${order.id}-charge`,
          shipping: order.shipping,
        });
      } catch (err) {
        if (err instanceof PaymentsRejectedError) {
          d.log.error({ order_id: orderId, code: err.code, err: err.message }, 'charge rejected by Stripe; order failed');
          return fail(orderId, err.code, err.message, 'failed');
        }
        throw err;
      }
      failpoint('after_stripe_charge');

      if (result.outcome === 'succeeded') {
        return (await markPaidNow(orderId, result.paymentIntentId, order)).followups;
      }
      if (result.outcome === 'declined') {
        d.log.info({ order_id: orderId, code: result.code, decline_code: result.declineCode }, 'charge declined');
        const message = result.declineCode ? `${result.message} (${result.declineCode})` : result.message;
        return fail(orderId, result.code, message, 'declined', { paymentIntentId: result.paymentIntentId });
      }
      // The bank wants the buyer: a payment-mode Checkout Session for this order, reached through our own short link.
      const session = await d.payments.createPaymentCheckout({
        idempotencyKey: `${order.id}-action`,
        customerId,
        amount: order.amount, currency: order.currency, quantity: order.quantity, productName,
        successUrl: `${payLink(order.id)}?done=1`,
        cancelUrl: `${payLink(order.id)}?canceled=1`,
        metadata: { order_id: order.id, purpose: 'order_action' },
        paymentIntentMetadata: { order_id: order.id, tweet_id: order.tweet_id, product_id: order.product_id, merchant_id: order.merchant_id },
      });
      const followups = await withTransaction(d.db, async (tx) => {
        const current = await lockOrder(tx, orderId);
        if (!current || current.status !== 'charging') return null;
        const updated = await transitionOrder(tx, current, 'requires_action', {
          payment_intent_id: result.paymentIntentId, checkout_session_id: session.id,
          action_expires_at: new Date(Date.now() + actionTtlHours * 3600_000),
        }, { payment_intent: result.paymentIntentId, checkout_session: session.id });
        return replyTo(tx, updated, 'action_required', productName, payLink(orderId));
      });
      return followups ?? pendingWork(orderId);
    },

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
          const over = await transitionOrder(tx, order, 'failed', { buyer_id: buyerId, failure_code: 'daily_limit_exceeded', failure_message: "would exceed the buyer's daily spending limit" }, { code: 'daily_limit_exceeded', resumed: true });
          return replyTo(tx, over, 'spending_limit', order.product_name, `${d.publicBaseUrl}/account`);
        }
        if (await reserveStock(tx, order.product_id, order.quantity)) {
          const reserved = await transitionOrder(tx, order, 'reserved', { stock_held: true, buyer_id: buyerId }, { resumed: true });
          await addSoldOutEventIfLast(tx, order.id, order.product_id);
          return (await holdForAddress(tx, reserved, order.product_name, d.publicBaseUrl)) ?? [{ kind: 'charge' as const, orderId: order.id }];
        }
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
      const { rows } = await d.db.query<{ id: string }>(
        `SELECT id FROM orders WHERE (status = 'requires_action' AND action_expires_at < $1)
            OR (status IN ('awaiting_signup', 'awaiting_details') AND created_at < $1::timestamptz - make_interval(hours => $2))
         LIMIT 500`,
        [now, signupTtlHours],
      );
      const expired: string[] = [];
      for (const { id } of rows) {
        await withTransaction(d.db, async (tx) => {
          const order = await lockOrder(tx, id);
          if (!order || !canTransition(order.status, 'expired')) return;
          if (order.stock_held) await releaseStock(tx, order.product_id, order.quantity);
          const code = { requires_action: 'authentication_not_completed', awaiting_details: 'address_not_given' }[order.status as string] ?? 'signup_not_completed';
          await transitionOrder(tx, order, 'expired', { stock_held: false, failure_code: code });
          expired.push(id);
        });
      }
      return expired;
    },

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
