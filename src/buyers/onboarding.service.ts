import crypto from 'node:crypto';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { LinkSigner } from '../links/links';
import type { PaymentsPort, SavedCard } from '../payments/payments.port';
import type { BuyersService } from './buyers.service';
import * as buyersRepo from './buyers.repository';
import { needsAddress, type ShippingAddress } from '../shipping/address';
import * as repo from './onboarding.repository';
import { positionsOf } from '../waitlist/waitlist.repository';
import { IN_PROGRESS, ORDER_STATUSES } from '../orders/lifecycle';
import type { Followup } from '../queue/followups';

export interface OnboardingDeps {
  db: Db;
  buyers: BuyersService;
  payments: PaymentsPort;
  signer: LinkSigner;
  publicBaseUrl: string;
  log: Logger;
  /** Hands work (charges, replies) to the queues once it is committed. */
  enqueue: (followups: Followup[]) => Promise<void>;
}

export type LinkState =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'used' }
  /** The order moved on (expired, already handled): nothing left to sign up for. */
  | { kind: 'closed'; status: string }
  | { kind: 'open'; link: repo.SignupLink };

export type SignupIdentity = Exclude<LinkState, { kind: 'open' }> | { kind: 'wrong_account' } | { kind: 'ok'; link: repo.SignupLink };

/** Order statuses after which the buyer's purchase will not change by itself. */
const FINAL = new Set(ORDER_STATUSES.filter((s) => !IN_PROGRESS.includes(s)));

export interface AccountView {
  username: string | null;
  card: SavedCard | null;
  address: ShippingAddress | null;
  dailyLimit: number | null;
  alwaysConfirm: boolean;
  currency: string;
  /** A waitlisted order carries its place in line (1 = next), counted now. */
  orders: Array<repo.BuyerOrder & { refunds: repo.BuyerRefund[]; waitlist_position: number | null }>;
  waiting: repo.BuyerOrder[];
}

/**
 * The buyer's side of onboarding: what a signup link grants, who may use it, the hosted
 * Checkout that saves a card, and the account page's rules. The card is linked by the webhook
 * (workers/stripe-events.ts), never by the browser coming back.
 */
export function createOnboardingService(d: OnboardingDeps) {
  async function inspect(tokenId: string | null): Promise<LinkState> {
    const link = tokenId ? await repo.findSignupLink(d.db, tokenId) : undefined;
    if (!link) return { kind: 'invalid' };
    if (link.used_at) return { kind: 'used' };
    if (link.expires_at.getTime() <= Date.now()) return { kind: 'expired' };
    if (link.order_status !== 'awaiting_signup') return { kind: 'closed', status: link.order_status };
    return { kind: 'open', link };
  }

  return {
    /** A token from a reply: forged, expired, used, or open (with what it buys). */
    inspectLink: (token: string) => inspect(d.signer.verify('signup', token)),
    inspectTokenId: (tokenId: string) => inspect(tokenId),

    /**
     * Back from X: the account that signed in must be the X user id that wrote the post. The
     * link is spent here (not when the card is saved) so it is one-time even if Checkout is
     * abandoned; a buyer who stops half-way continues from /account, where the waiting order is.
     */
    async claimLink(tokenId: string, signedInId: string): Promise<SignupIdentity> {
      const state = await inspect(tokenId);
      if (state.kind !== 'open') return state;
      if (state.link.x_user_id !== signedInId) {
        d.log.warn({ token_id: tokenId }, 'signup link: a different X account signed in; refused');
        return { kind: 'wrong_account' };
      }
      if (!(await repo.useSignupLink(d.db, tokenId))) return { kind: 'used' };
      return { kind: 'ok', link: state.link };
    },

    /** A setup-mode Checkout for this buyer (one Stripe customer per X user id). Returns the hosted page URL. */
    async startCheckout(user: { id: string; username: string | null }, opts: { orderId?: string; currency?: string }): Promise<string> {
      const { customerId } = await d.buyers.customerFor(user.id, user.username);
      const currency = opts.currency ?? (await repo.latestCurrency(d.db, user.id)) ?? 'usd';
      const order = opts.orderId ? await repo.orderOfBuyer(d.db, user.id, opts.orderId) : undefined;
      const buyer = await buyersRepo.findBuyerByXUserId(d.db, user.id);
      // A physical product needs somewhere to ship: the address page comes right after the card.
      const addressFirst = order !== undefined && needsAddress({ shipping: order.product_shipping, shipping_countries: order.shipping_countries }, buyer?.shipping ?? null);
      const success = !opts.orderId ? `${d.publicBaseUrl}/account?card=saved`
        : `${d.publicBaseUrl}/${addressFirst ? 'account/address' : 'welcome'}?order=${encodeURIComponent(opts.orderId)}`;
      const session = await d.payments.createSetupCheckout({
        // A fresh session per click: nothing here moves money, and a replayed closed session would strand the buyer.
        idempotencyKey: `setup-${user.id}-${crypto.randomUUID()}`,
        customerId,
        currency,
        metadata: { x_user_id: user.id, x_username: user.username ?? '', purpose: opts.orderId ? 'signup' : 'replace_card', ...(opts.orderId ? { order_id: opts.orderId } : {}) },
        successUrl: success,
        cancelUrl: `${d.publicBaseUrl}/account?card=canceled`,
      });
      return session.url;
    },

    async account(xUserId: string): Promise<AccountView> {
      const buyer = await buyersRepo.findBuyerByXUserId(d.db, xUserId);
      const listed = await repo.ordersOfBuyer(d.db, xUserId);
      const refunds = await repo.refundsOfOrders(d.db, listed.map((o) => o.id));
      const positions = await positionsOf(d.db, listed.filter((o) => o.status === 'waitlisted').map((o) => o.id));
      const orders = listed.map((o) => ({ ...o, refunds: refunds.filter((r) => r.order_id === o.id), waitlist_position: positions.get(o.id) ?? null }));
      let card: SavedCard | null = null;
      if (buyer?.payment_method_id) {
        // Stripe is the source of truth for the card; the stored brand/last4 is the fallback if it is unreachable.
        card = await d.payments.describeCard(buyer.payment_method_id).catch((err: Error) => {
          d.log.warn({ err: err.message, buyer_id: buyer.id }, 'could not describe the saved card; showing the stored summary');
          return { paymentMethodId: buyer.payment_method_id!, brand: buyer.card_brand, last4: buyer.card_last4 };
        });
      }
      return {
        username: buyer?.x_username ?? null,
        card,
        address: buyer?.shipping ?? null,
        dailyLimit: buyer?.daily_limit_amount === null || buyer?.daily_limit_amount === undefined ? null : Number(buyer.daily_limit_amount),
        alwaysConfirm: buyer?.always_confirm ?? false,
        currency: orders[0]?.currency ?? 'usd',
        orders,
        waiting: card ? [] : orders.filter((o) => o.status === 'awaiting_signup'),
      };
    },

    /** Minor units; null removes the limit. Matching enforces it on each new post. */
    async setDailyLimit(user: { id: string; username: string | null }, amount: number | null): Promise<void> {
      const buyer = await buyersRepo.ensureBuyer(d.db, user.id, user.username);
      await buyersRepo.setDailyLimit(d.db, buyer.id, amount);
      d.log.info({ buyer_id: buyer.id, limit: amount }, 'buyer set a daily spending limit');
    },

    /** "Always ask me to confirm": every new order (and every promotion) waits for the buyer's #confirm. */
    async setAlwaysConfirm(user: { id: string; username: string | null }, on: boolean): Promise<void> {
      const buyer = await buyersRepo.ensureBuyer(d.db, user.id, user.username);
      await buyersRepo.setAlwaysConfirm(d.db, buyer.id, on);
      d.log.info({ buyer_id: buyer.id, always_confirm: on }, 'buyer changed the confirm setting');
    },

    /** The address form's starting values and what an order (if any) needs of it. */
    async addressFor(xUserId: string): Promise<ShippingAddress | null> {
      return (await buyersRepo.findBuyerByXUserId(d.db, xUserId))?.shipping ?? null;
    },
    async saveAddress(user: { id: string; username: string | null }, address: ShippingAddress): Promise<void> {
      await d.enqueue(await d.buyers.saveAddress(user.id, user.username, address));
    },

    /** Detaches the card at Stripe and forgets it: the next post gets a signup link again. */
    unlink: (xUserId: string) => d.buyers.unlink(xUserId),

    async orderStatus(xUserId: string, orderId: string): Promise<{ id: string; status: string; final: boolean } | undefined> {
      const o = await repo.orderOfBuyer(d.db, xUserId, orderId);
      return o ? { id: o.id, status: o.status, final: FINAL.has(o.status) } : undefined;
    },
    orderOfBuyer: (xUserId: string, orderId: string) => repo.orderOfBuyer(d.db, xUserId, orderId),
  };
}
export type OnboardingService = ReturnType<typeof createOnboardingService>;
