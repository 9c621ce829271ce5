import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { PaymentsPort, SavedCard } from '../payments/payments.port';
import type { ChargingService } from '../orders/charging.service';
import type { Followup } from '../queue/followups';
import type { ShippingAddress } from '../shipping/address';
import * as repo from './buyers.repository';

export interface BuyersDeps {
  db: Db;
  payments: PaymentsPort;
  charging: ChargingService;
  log: Logger;
}

/** Buyers: one Stripe customer per X user id, one saved card for off-session charges. */
export function createBuyersService(d: BuyersDeps) {
  async function customerFor(xUserId: string, xUsername: string | null): Promise<{ buyer: repo.Buyer; customerId: string }> {
    const buyer = await repo.ensureBuyer(d.db, xUserId, xUsername);
    if (buyer.stripe_customer_id) return { buyer, customerId: buyer.stripe_customer_id };
    // The key makes two concurrent first contacts create one customer.
    const { id } = await d.payments.createCustomer({ xUserId, xUsername, idempotencyKey: `customer-${xUserId}` });
    await repo.setCustomer(d.db, buyer.id, id);
    const fresh = await repo.findBuyerByXUserId(d.db, xUserId);
    return { buyer: fresh!, customerId: fresh!.stripe_customer_id! };
  }

  /** Links a saved card and resumes the buyer's waiting orders; returns their follow-up jobs. */
  async function link(xUserId: string, xUsername: string | null, customerId: string, card: SavedCard): Promise<{ buyer: repo.Buyer; followups: Followup[] }> {
    const existing = await repo.ensureBuyer(d.db, xUserId, xUsername);
    const previous = existing.payment_method_id;
    const buyer = await repo.linkCard(d.db, existing.id, { customerId, paymentMethodId: card.paymentMethodId, brand: card.brand, last4: card.last4 });
    if (previous && previous !== card.paymentMethodId) {
      await d.payments.detachPaymentMethod(previous).catch((err) => d.log.warn({ err: (err as Error).message, buyer_id: buyer.id }, 'could not detach the replaced card'));
    }
    d.log.info({ buyer_id: buyer.id, x_user_id: xUserId, brand: card.brand }, 'buyer linked a card');
    const followups = await d.charging.resumeWaitingOrders(xUserId, buyer.id);
    return { buyer, followups };
  }

  return {
    customerFor,
    link,
    /** Sandbox: a linked buyer with a test card, without the browser. */
    async linkTestCard(xUserId: string, xUsername: string | null, paymentMethod: string, email?: string) {
      const { buyer, customerId } = await customerFor(xUserId, xUsername);
      if (email) await repo.setEmail(d.db, buyer.id, email);
      const card = await d.payments.attachPaymentMethod(customerId, paymentMethod);
      return link(xUserId, xUsername, customerId, card);
    },
    /** A setup-mode Checkout finished (webhook): the card it saved becomes the buyer's. */
    async completeSetup(session: { customer: string; setupIntentId: string; xUserId: string; xUsername: string | null; email?: string | null }) {
      const card = await d.payments.savedCardFromSetupIntent(session.setupIntentId);
      // Stripe emails receipts there; stored before the waiting orders resume, never logged.
      if (session.email) await repo.setEmail(d.db, (await repo.ensureBuyer(d.db, session.xUserId, session.xUsername)).id, session.email);
      return link(session.xUserId, session.xUsername, session.customer, card);
    },
    /**
     * The buyer's shipping address: on the Stripe customer first (a failure there leaves ours
     * unchanged and the buyer can submit again), then here, where orders snapshot it.
     */
    async saveAddress(xUserId: string, xUsername: string | null, address: ShippingAddress): Promise<Followup[]> {
      const { buyer, customerId } = await customerFor(xUserId, xUsername);
      await d.payments.saveShipping(customerId, address);
      await repo.setShipping(d.db, buyer.id, address);
      // Never the address itself: logs are not the place for it.
      d.log.info({ buyer_id: buyer.id }, 'buyer saved a shipping address');
      // Orders that waited for it go on; a card is needed too, so those still awaiting signup stay.
      return buyer.payment_method_id ? d.charging.resumeAwaitingDetails(xUserId) : [];
    },
    async unlink(xUserId: string): Promise<void> {
      const buyer = await repo.findBuyerByXUserId(d.db, xUserId);
      if (!buyer?.payment_method_id) return;
      await d.payments.detachPaymentMethod(buyer.payment_method_id);
      await repo.unlinkCard(d.db, buyer.id);
      d.log.info({ buyer_id: buyer.id }, 'buyer unlinked their card');
    },
  };
}
export type BuyersService = ReturnType<typeof createBuyersService>;
