import type { Db, Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import { errors } from '../http/errors';
import { newId } from '../ids';
import { BLOCKABLE, sqlStatuses } from '../orders/lifecycle';
import { lockOrder, releaseStock, transitionOrder } from '../orders/orders.store';
import { XRateLimitedError, XRefusedError, XTimeoutError } from '../x/x.port';
import { deleteBlock, insertBlock, listBlocks, type BlockRow } from './blocklist.repository';
import type { AddBlock } from './blocklist.schema';

/** The X look-up a handle needs (only ever asked once per add; the id is what is stored). */
export interface HandleResolver {
  userIdOf(username: string): Promise<string | null>;
}

export interface BlocklistDeps {
  db: Db;
  /** Without it, adding by handle answers 503 (the X port is not configured here). */
  x?: HandleResolver;
}

/** merchantId null: the operator's list, which applies to every merchant. */
export type BlockOwner = string | null;

export function createBlocklistService(d: BlocklistDeps) {
  async function resolve(input: AddBlock): Promise<{ xUserId: string; username: string | null }> {
    if (input.x_user_id) return { xUserId: input.x_user_id, username: null };
    const handle = input.handle!.replace(/^@/, '');
    if (!d.x) throw errors.unavailable('Handles cannot be resolved here (X is not configured); give the x_user_id');
    let id: string | null;
    try {
      id = await d.x.userIdOf(handle);
    } catch (err) {
      if (err instanceof XRefusedError && err.status === 400) id = null;
      else if (err instanceof XRateLimitedError || err instanceof XTimeoutError || err instanceof XRefusedError) {
        throw errors.unavailable('X did not answer the handle look-up; try again, or give the x_user_id');
      } else throw err;
    }
    if (!id) throw errors.notFound('X account', `@${handle}`);
    return { xUserId: id, username: handle };
  }

  /** Orders the account has waiting (no money taken) with this owner's merchants: canceled, units freed, no reply. */
  async function cancelWaiting(tx: Tx, owner: BlockOwner, xUserId: string): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM orders WHERE buyer_x_user_id = $1 AND ($2::text IS NULL OR merchant_id = $2)
         AND status IN (${sqlStatuses(BLOCKABLE)}) ORDER BY id`,
      [xUserId, owner],
    );
    const canceled: string[] = [];
    for (const { id } of rows) {
      const order = await lockOrder(tx, id);
      if (!order || !BLOCKABLE.includes(order.status)) continue;
      if (order.stock_held) await releaseStock(tx, order.product_id, order.quantity);
      await transitionOrder(tx, order, 'canceled', { stock_held: false, failure_code: 'buyer_blocked', failure_message: 'the buyer\'s X account was blocked' },
        { by: owner === null ? 'operator_blocklist' : 'blocklist' });
      canceled.push(id);
    }
    return canceled;
  }

  return {
    async add(owner: BlockOwner, input: AddBlock): Promise<{ row: BlockRow; inserted: boolean; canceledOrders: string[] }> {
      // X first, outside any transaction: no lock waits on a network call.
      const who = await resolve(input);
      return withTransaction(d.db, async (tx) => {
        const r = await insertBlock(tx, { id: newId('blk'), merchant_id: owner, x_user_id: who.xUserId, x_username: who.username, note: input.note ?? null });
        return { ...r, canceledOrders: await cancelWaiting(tx, owner, who.xUserId) };
      });
    },
    list: (owner: BlockOwner, page: { limit: number; startingAfter?: string }) => listBlocks(d.db, owner, page),
    async remove(owner: BlockOwner, id: string): Promise<void> {
      if (!(await deleteBlock(d.db, owner, id))) throw errors.notFound('blocked account', id);
    },
  };
}
export type BlocklistService = ReturnType<typeof createBlocklistService>;
