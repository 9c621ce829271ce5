import type { Queryable, Tx } from '../db/pool';
import type { Followup } from '../queue/followups';
import type { LinkSigner } from '../links/links';
import type { ProductRow } from '../products/products.repository';
import type { OrderRow } from '../orders/orders.repository';
import { addOrderEvent, releaseStock, transitionOrder, type OrderPatch } from '../orders/orders.store';
import { holdForAddress } from '../orders/address-hold';
import { insertReply } from '../replies/replies.repository';
import { CONFIRM_WINDOW_MINUTES, renderReply, type ReplyKind } from '../replies/templates';
import { spentToday } from '../posts/posts.repository';
import { needsConfirmation } from './rules';
import * as repo from './waitlist.repository';
import { reserveOrderStock } from '../variants/variant-stock';

export interface WaitlistDeps {
  signer: LinkSigner;
  publicBaseUrl: string;
  /** How long a promoted buyer has to link a card, or to give an address. */
  signupTtlHours?: number;
}

/** Waiting orders read (and locked) per round while units are left. */
const HEAD = 50;

/** A sale still selling: promotions stop when it ends (the sweep then ends the waitlist as sold out). */
function selling(p: ProductRow, now: Date): boolean {
  return p.status === 'active' && p.waitlist && (!p.ends_at || p.ends_at > now);
}

/**
 * Units of a product went back (the caller released them in this transaction): they go to the
 * waitlist's head, in post order, before anyone else can take them. Runs under the product's row
 * lock, so units freed at the same moment by concurrent transactions are promoted one after the
 * other, each exactly once: the second finds the first's promotions committed and only what is
 * left. Returns the work to enqueue after commit (charges, replies).
 */
export async function promoteWaitlist(tx: Tx, productId: string, d: WaitlistDeps, now = new Date()): Promise<Followup[]> {
  const { rows: [product] } = await tx.query<ProductRow>('SELECT * FROM products WHERE id = $1 FOR UPDATE', [productId]);
  if (!product || !selling(product, now)) return [];
  let available = product.inventory === null ? Number.POSITIVE_INFINITY : product.inventory - product.reserved - product.sold;
  const followups: Followup[] = [];
  while (available > 0) {
    const head = await repo.lockWaitlistHead(tx, productId, HEAD);
    let blocked = false;
    let passedOver = 0;
    for (const order of head) {
      // Strict post order: the first in line waits for enough units rather than being overtaken.
      if (order.quantity > available) {
        blocked = true;
        break;
      }
      const promoted = await promoteOne(tx, product, order, d, now);
      if (promoted.took) available -= order.quantity;
      else if (!promoted.followups.length) passedOver++;
      followups.push(...promoted.followups);
      if (available <= 0) break;
    }
    // A head made only of orders passed over (their variant has no unit free) would be read again forever.
    if (blocked || head.length < HEAD || passedOver === head.length) break;
  }
  return followups;
}

/** Units an order held go back to stock, and on to the waitlist. */
export async function releaseUnits(tx: Tx, order: Pick<OrderRow, 'product_id' | 'quantity'>, d: WaitlistDeps | undefined): Promise<Followup[]> {
  await releaseStock(tx, order.product_id, order.quantity);
  return d ? promoteWaitlist(tx, order.product_id, d) : [];
}

async function replyOn(tx: Queryable, order: OrderRow, product: ProductRow, kind: ReplyKind, url?: string): Promise<Followup[]> {
  const text = renderReply(kind, { orderId: order.id, product: product.name, quantity: order.quantity, amount: order.amount, currency: order.currency, url });
  const row = await insertReply(tx, { inReplyTo: order.tweet_id, orderId: order.id, kind, text });
  return row ? [{ kind: 'reply', replyId: row.id, replyKind: kind, subject: order.id }] : [];
}

/**
 * One waiting order takes its units: a linked buyer is charged (or asked to #confirm, or for an
 * address, as a fresh order would be), a buyer without a card gets a signup link with the units
 * held for them. A linked buyer whose daily limit it would pass is told so and takes nothing.
 */
async function promoteOne(tx: Tx, product: ProductRow, order: OrderRow, d: WaitlistDeps, now: Date): Promise<{ took: boolean; followups: Followup[] }> {
  const buyer = await repo.buyerForPromotion(tx, order.buyer_x_user_id);
  const limit = buyer?.linked && buyer.daily_limit_amount !== null ? Number(buyer.daily_limit_amount) : null;
  if (buyer && limit !== null && (await spentToday(tx, order.buyer_x_user_id, order.currency)) + Number(order.amount) > limit) {
    const failed = await transitionOrder(tx, order, 'failed', {
      buyer_id: buyer.id, failure_code: 'daily_limit_exceeded', failure_message: "would exceed the buyer's daily spending limit",
    }, { code: 'daily_limit_exceeded', promoted: true });
    return { took: false, followups: await replyOn(tx, failed, product, 'spending_limit', `${d.publicBaseUrl}/account`) };
  }
  // Under the product's lock with the units counted, the product cannot come up short; its variant
  // can (units freed of another variant): the order is passed over and keeps its place.
  const took = await reserveOrderStock(tx, order);
  if (!took) return { took: false, followups: [] };
  await addOrderEvent(tx, order.id, 'order.promoted', { quantity: order.quantity, amount: Number(order.amount) });
  // The order may have waited for days: the time to finish runs from now.
  const finishBy = new Date(now.getTime() + (d.signupTtlHours ?? 24) * 3_600_000);

  if (!buyer?.linked) {
    const held = await transitionOrder(tx, order, 'awaiting_signup', { stock_held: took.held, action_expires_at: finishBy }, { promoted: true });
    const tokenId = d.signer.newTokenId();
    await repo.insertSignupToken(tx, { id: tokenId, xUserId: order.buyer_x_user_id, orderId: order.id, ttlHours: d.signupTtlHours ?? 24 });
    return { took: true, followups: await replyOn(tx, held, product, 'promoted', `${d.publicBaseUrl}/link/${d.signer.sign('signup', tokenId)}`) };
  }
  const paidBefore = product.confirm === 'first_purchase'
    && (await repo.paidBefore(tx, [order.buyer_x_user_id], [order.merchant_id])).size > 0;
  if (needsConfirmation(product, Number(order.amount), { alwaysConfirm: buyer.always_confirm, paidBefore })) {
    const held = await transitionOrder(tx, order, 'awaiting_confirmation', {
      stock_held: took.held, buyer_id: buyer.id, action_expires_at: new Date(now.getTime() + CONFIRM_WINDOW_MINUTES * 60_000),
    }, { promoted: true });
    return { took: true, followups: await replyOn(tx, held, product, 'confirm_request') };
  }
  const reserved = await transitionOrder(tx, order, 'reserved', { stock_held: took.held, buyer_id: buyer.id, action_expires_at: finishBy }, { promoted: true });
  const hold = await holdForAddress(tx, reserved, product.name, d.publicBaseUrl);
  return { took: true, followups: hold ?? [{ kind: 'charge', orderId: order.id }] };
}

/**
 * A buyer without a card who posted while units were left, and linked one after they went, joins
 * the waitlist at their post's place (when the product keeps one and it has room): null otherwise.
 */
export async function joinWaitlist(tx: Tx, order: OrderRow, productName: string, patch: OrderPatch = {}): Promise<Followup[] | null> {
  const { rows: [product] } = await tx.query<ProductRow>('SELECT * FROM products WHERE id = $1 FOR UPDATE', [order.product_id]);
  if (!product || !selling(product, new Date())) return null;
  const waiting = (await repo.waitingCounts(tx, [product.id])).get(product.id) ?? 0;
  if (product.waitlist_limit !== null && waiting >= product.waitlist_limit) return null;
  const queued = await transitionOrder(tx, order, 'waitlisted', patch, { resumed: true });
  const position = (await repo.positionsOf(tx, [queued.id])).get(queued.id) ?? waiting + 1;
  const text = renderReply('waitlisted', { orderId: queued.id, product: productName, quantity: queued.quantity, position });
  const row = await insertReply(tx, { inReplyTo: queued.tweet_id, orderId: queued.id, kind: 'waitlisted', text });
  return row ? [{ kind: 'reply', replyId: row.id, replyKind: 'waitlisted', subject: queued.id }] : [];
}
