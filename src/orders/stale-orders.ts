import { withTransaction } from '../db/pool';
import { uniqueFollowups, type Followup } from '../queue/followups';
import { lockOrder, transitionOrder } from './orders.store';
import { canTransition, EXPIRES_AFTER_SIGNUP_TTL, EXPIRES_AT_DEADLINE, EXPIRY_CODES, sqlStatuses } from './lifecycle';
import { releaseUnits } from '../waitlist/promotion';
import type { ChargingContext } from './charging-context';

/** Orders the buyer left waiting past their deadline: expired, their units given back. */
export function createStaleOrderExpiry(ctx: ChargingContext) {
  const { deps, waitlist } = ctx;

  /**
   * expireStale with the work it leaves: the units it frees go to the waitlists (charges, replies to
   * enqueue). A deadline set on the order (a #confirm window, a promoted buyer's time to sign up)
   * wins over the signup TTL counted from its creation.
   */
  async function expireStaleWithWork(now = new Date(), signupTtlHours = 24): Promise<{ expired: string[]; followups: Followup[] }> {
    const { rows } = await deps.db.query<{ id: string }>(
      `SELECT id FROM orders WHERE (status IN (${sqlStatuses(EXPIRES_AT_DEADLINE)}) AND action_expires_at < $1)
          OR (status IN (${sqlStatuses(EXPIRES_AFTER_SIGNUP_TTL)})
              AND COALESCE(action_expires_at, created_at + make_interval(hours => $2)) < $1::timestamptz)
       LIMIT 500`,
      [now, signupTtlHours],
    );
    const expired: string[] = [];
    const followups: Followup[] = [];
    for (const { id } of rows) {
      await withTransaction(deps.db, async (tx) => {
        const order = await lockOrder(tx, id);
        if (!order || !canTransition(order.status, 'expired')) return;
        const promoted = order.stock_held ? await releaseUnits(tx, order, waitlist) : [];
        const code = EXPIRY_CODES[order.status] ?? 'signup_not_completed';
        await transitionOrder(tx, order, 'expired', { stock_held: false, failure_code: code });
        expired.push(id);
        followups.push(...promoted);
      });
    }
    return { expired, followups: uniqueFollowups(followups) };
  }

  return {
    /** Orders whose buyer never confirmed, never signed up or never gave an address expire and give their stock back. */
    async expireStale(now = new Date(), signupTtlHours = 24): Promise<string[]> {
      return (await expireStaleWithWork(now, signupTtlHours)).expired;
    },

    expireStaleWithWork,
  };
}
