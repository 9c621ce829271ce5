import type { Db, Queryable, Tx } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import { CONFIRM_HASHTAG } from '../ingest/rules';
import { hashtagKey } from '../products/hashtag';
import { lockOrder, transitionOrder } from '../orders/orders.store';
import { holdForAddress } from '../orders/address-hold';
import { insertReply } from '../replies/replies.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import { releaseUnits, type WaitlistDeps } from '../waitlist/promotion';
import type { ScreenRules } from './decide';
import { createSeparatePath } from './separate-path';
import { findOrderId } from './cancel-request';
import type { MatchResult, SeparatePath } from './matching.service';

export interface ConfirmDeps {
  publicBaseUrl: string;
  shopUsername: string;
  /** A confirmation found lapsed frees its units to the waitlist at once (else the sweep does). */
  waitlist?: WaitlistDeps;
  /** How long a confirmed order that ships may wait for an address. */
  signupTtlHours?: number;
}

export function isConfirmRequest(post: InboundPost): boolean {
  return post.hashtags.some((h) => hashtagKey(h) === CONFIRM_HASHTAG);
}

/** Without a reply or an order number, the author's one order waiting for #confirm (the oldest, if several). */
async function waitingOrderOf(db: Queryable, xUserId: string): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM orders WHERE buyer_x_user_id = $1 AND status = 'awaiting_confirmation' ORDER BY action_expires_at, id LIMIT 1`,
    [xUserId],
  );
  return rows[0]?.id ?? null;
}

/**
 * A buyer's `#confirm` post, decided inside the transaction that claimed it. Only the X user id
 * that placed the order may confirm it (the id, never the handle): anyone else's #confirm changes
 * nothing and gets no reply. Within the window (measured against the post's own time) the order
 * goes on to its charge; after it, the order lapses, its units go to the waitlist, and the buyer
 * is told once.
 */
export async function decideConfirm(tx: Tx, post: InboundPost, at: Date, d: ConfirmDeps): Promise<MatchResult> {
  const result: MatchResult = { outcome: 'ignored', reason: null, orderIds: [], followups: [] };
  const decide = (outcome: string, reason: string | null) => Object.assign(result, { outcome, reason });
  const reply = async (kind: ReplyKind, order: { id: string; quantity: number }, product: string) => {
    const row = await insertReply(tx, { inReplyTo: post.id, orderId: order.id, kind, text: renderReply(kind, { orderId: order.id, product, quantity: order.quantity }) });
    if (row) result.followups.push({ kind: 'reply', replyId: row.id, replyKind: kind, subject: order.id });
  };

  const orderId = (await findOrderId(tx, post)) ?? (await waitingOrderOf(tx, post.authorId));
  const order = orderId ? await lockOrder(tx, orderId) : undefined;
  if (!order) return decide('ignored', 'confirm_order_not_found');
  if (order.buyer_x_user_id !== post.authorId) return decide('ignored', 'confirm_not_owner');
  result.orderIds.push(order.id);
  const lapsed = order.status === 'expired' && order.failure_code === 'confirmation_not_given';
  if (order.status !== 'awaiting_confirmation' && !lapsed) return decide('ignored', 'order_not_awaiting_confirmation');
  if (lapsed || !order.action_expires_at || at.getTime() >= order.action_expires_at.getTime()) {
    if (!lapsed) {
      // The sweep has not come by yet: the order lapses now, and its units move on.
      if (order.stock_held) result.followups.push(...(await releaseUnits(tx, order, d.waitlist)));
      await transitionOrder(tx, order, 'expired', { stock_held: false, failure_code: 'confirmation_not_given' }, { post: post.id });
    }
    await reply('confirm_expired', order, order.product_name);
    return decide('rejected', 'confirm_window_closed');
  }
  const finishBy = new Date(Date.now() + (d.signupTtlHours ?? 24) * 3_600_000);
  const reserved = await transitionOrder(tx, order, 'reserved', { action_expires_at: finishBy }, { confirmed_by_post: post.id });
  const hold = await holdForAddress(tx, reserved, order.product_name, d.publicBaseUrl);
  result.followups.push(...(hold ?? [{ kind: 'charge' as const, orderId: order.id }]));
  return decide('confirmed', null);
}

/** The matcher's separate path for #confirm posts, as createCancelPath is for #cancel. */
export function createConfirmPath(d: ConfirmDeps & ScreenRules & { db: Db }): SeparatePath {
  return createSeparatePath<MatchResult>(d, {
    takes: isConfirmRequest,
    decide: (tx, post, at) => decideConfirm(tx, post, at, d),
    asResult: (base) => base,
  });
}

/** Several separate paths as one: the first that takes a post handles it (a post with #cancel and #confirm cancels). */
export function combinePaths(paths: SeparatePath[]): SeparatePath {
  return {
    takes: (post) => paths.some((p) => p.takes(post)),
    handle: (post, now) => paths.find((p) => p.takes(post))!.handle(post, now),
  };
}

