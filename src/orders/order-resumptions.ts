import type { Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import { uniqueFollowups, type Followup } from '../queue/followups';
import type { OrderRow } from './orders.repository';
import { lockBuyerLimit, spentToday } from '../posts/posts.repository';
import { addSoldOutEventIfLast, lockOrder, shippingNeedOf, transitionOrder } from './orders.store';
import type { OrderStatus } from './lifecycle';
import { needsAddress } from '../shipping/address';
import { holdForAddress } from './address-hold';
import { pendingWorkForOrders } from './pending-work.repository';
import { reserveOrderStock } from '../variants/variant-stock';
import { holdForReview } from '../review/review-hold';
import { joinWaitlist, releaseUnits } from '../waitlist/promotion';
import type { ChargingContext } from './charging-context';

/** A buyer's waiting orders going on once the buyer gives what they waited for (a card, an address). */
export function createOrderResumptions(ctx: ChargingContext) {
  const { deps, waitlist, replyTo } = ctx;

  /**
   * Runs a step for each of a buyer's orders in one waiting status, oldest first, each in its own
   * transaction with the order locked and its status checked again (a concurrent run moved it on).
   */
  async function eachOrderWaiting(
    xUserId: string,
    status: OrderStatus,
    step: (tx: Tx, order: OrderRow & { product_name: string }) => Promise<Followup[]>,
  ): Promise<Followup[]> {
    const { rows } = await deps.db.query<{ id: string }>(
      'SELECT id FROM orders WHERE buyer_x_user_id = $1 AND status = $2 ORDER BY created_at',
      [xUserId, status],
    );
    const followups: Followup[] = [];
    for (const { id } of rows) {
      followups.push(...(await withTransaction(deps.db, async (tx) => {
        const order = await lockOrder(tx, id);
        return order?.status === status ? step(tx, order) : [];
      })));
    }
    return followups;
  }

  return {
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
          return [...(await replyTo(tx, over, 'spending_limit', order.product_name, `${deps.publicBaseUrl}/account`)), ...promoted];
        }
        // Promoted from the waitlist: the unit is held already.
        if (order.stock_held) {
          const reserved = await transitionOrder(tx, order, 'reserved', { buyer_id: buyerId }, { resumed: true });
          if (await holdForReview(tx, reserved)) return [];
          return (await holdForAddress(tx, reserved, order.product_name, deps.publicBaseUrl)) ?? [{ kind: 'charge' as const, orderId: order.id }];
        }
        const took = await reserveOrderStock(tx, order);
        if (took) {
          const reserved = await transitionOrder(tx, order, 'reserved', { stock_held: took.held, buyer_id: buyerId }, { resumed: true });
          await addSoldOutEventIfLast(tx, order.id, order.product_id);
          // The merchant's review rules apply here as they do to a linked buyer's post (issue 15).
          if (await holdForReview(tx, reserved)) return [];
          return (await holdForAddress(tx, reserved, order.product_name, deps.publicBaseUrl)) ?? [{ kind: 'charge' as const, orderId: order.id }];
        }
        // The last unit went while they signed up: they join the waitlist at their post's place, if it keeps one.
        const queued = await joinWaitlist(tx, order, order.product_name, { buyer_id: buyerId });
        if (queued) return queued;
        const sold = await transitionOrder(tx, order, 'sold_out', { buyer_id: buyerId, failure_code: 'sold_out' }, { resumed: true });
        return replyTo(tx, sold, 'sold_out', order.product_name);
      });
      // A retried setup event finds no order still awaiting signup: what an earlier run wrote
      // before dying short of its enqueue is handed back too (duplicates are dropped by job id).
      return uniqueFollowups([...followups, ...(await pendingWorkForOrders(deps.db, { buyerXUserId: xUserId }))]);
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
  };
}
