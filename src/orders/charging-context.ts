import type { Db, Tx } from '../db/pool';
import type { Logger } from '../logger';
import type { Followup } from '../queue/followups';
import type { PaymentsPort } from '../payments/payments.port';
import type { ChargeSplitter } from '../merchants/charge-split';
import { insertReply } from '../replies/replies.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import type { LinkSigner } from '../links/links';
import type { OrderRow } from './orders.repository';
import { pendingWorkForOrders } from './pending-work.repository';
import type { WaitlistDeps } from '../waitlist/promotion';

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

/** What the parts of the charging service (charge batch, resumptions, expiry, Stripe's reports) share. */
export interface ChargingContext {
  deps: ChargingDeps;
  /** The buyer's short link to pay an order themselves. */
  payLink(orderId: string): string;
  /** A unit a part frees goes to the product's waitlist in the same transaction. */
  waitlist: WaitlistDeps;
  /** Writes a reply to the order's post in `tx`; the followup that sends it, if one was written. */
  replyTo(tx: Tx, order: OrderRow, kind: ReplyKind, productName: string, url?: string, touchOrder?: boolean): Promise<Followup[]>;
  /** What a job that finds the order already moved on must still hand back (see pendingWorkForOrders). */
  pendingWork(orderId: string): Promise<Followup[]>;
}

/** The receipt an order gets once paid (written with the order's move to `paid`). */
export function receiptText(order: { id: string; product_name: string; quantity: number; amount: number; currency: string }): string {
  return renderReply('receipt', { orderId: order.id, product: order.product_name, quantity: order.quantity, amount: order.amount, currency: order.currency });
}

export function createChargingContext(deps: ChargingDeps): ChargingContext {
  return {
    deps,
    payLink: (orderId) => `${deps.publicBaseUrl}/pay/${deps.signer.sign('pay', orderId)}`,
    waitlist: { signer: deps.signer, publicBaseUrl: deps.publicBaseUrl, signupTtlHours: deps.signupTtlHours },
    async replyTo(tx, order, kind, productName, url, touchOrder = true) {
      const text = renderReply(kind, { orderId: order.id, product: productName, quantity: order.quantity, amount: order.amount, currency: order.currency, url });
      const row = await insertReply(tx, { inReplyTo: order.tweet_id, orderId: order.id, kind, text }, touchOrder);
      return row ? [{ kind: 'reply', replyId: row.id, replyKind: kind, subject: order.id }] : [];
    },
    pendingWork: (orderId) => pendingWorkForOrders(deps.db, { orderIds: [orderId] }),
  };
}
