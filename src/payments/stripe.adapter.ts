import Stripe from 'stripe';
import {
  PaymentsRejectedError,
  type ChargeResult,
  type PaymentsPort,
  type SavedCard,
  type WebhookEvent,
} from './payments.port';
import type { ShippingAddress } from '../shipping/address';
import { refundResultOf, translateStripeEvent } from './stripe-event-translation';
import { translate } from './stripe.errors';
import { connectMethods } from './stripe.connect';

export interface StripeAdapterOptions {
  secretKey: string;
  webhookSecret: () => string | undefined;
  /** The Connect endpoint's secret: events about connected accounts are signed with it. */
  connectWebhookSecret?: () => string | undefined;
  /** The emulator's base URL (refused in production by config). */
  apiBase?: string;
  timeoutMs?: number;
  maxNetworkRetries?: number;
}

function clientOptions(o: StripeAdapterOptions): Stripe.StripeConfig {
  // No client telemetry: stripe-node sends each request's latency with the next request and, when
  // answers outrun requests (a batch of concurrent charges), prints "Request metrics buffer is full"
  // on stderr for every answer it cannot buffer, a few per cent of the worker's CPU at full load.
  const base: Stripe.StripeConfig = {
    timeout: o.timeoutMs ?? 10_000, maxNetworkRetries: o.maxNetworkRetries ?? 2, appInfo: { name: 'hashtag-checkout' }, telemetry: false,
  };
  if (!o.apiBase) return base;
  const u = new URL(o.apiBase);
  return { ...base, host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), protocol: u.protocol.replace(':', '') as 'http' | 'https' };
}

/** Our address in Stripe's `shipping` shape (customers and PaymentIntents share it). */
export function stripeShipping(a: ShippingAddress): Stripe.CustomerUpdateParams.Shipping {
  return {
    name: a.name,
    phone: a.phone ?? '',
    address: { line1: a.line1, line2: a.line2 ?? '', city: a.city, state: a.state ?? '', postal_code: a.postal_code ?? '', country: a.country },
  };
}

const transferOf = (pi: Stripe.PaymentIntent): string | null => {
  const charge = pi.latest_charge;
  if (!charge || typeof charge === 'string') return null;
  return typeof charge.transfer === 'string' ? charge.transfer : (charge.transfer?.id ?? null);
};

function card(pm: Stripe.PaymentMethod): SavedCard {
  return { paymentMethodId: pm.id, brand: pm.card?.brand ?? null, last4: pm.card?.last4 ?? null };
}

export function createStripeAdapter(o: StripeAdapterOptions): PaymentsPort {
  const stripe = new Stripe(o.secretKey, clientOptions(o));

  async function openCheckout(params: Stripe.Checkout.SessionCreateParams, idempotencyKey: string): Promise<{ id: string; url: string }> {
    try {
      const s = await stripe.checkout.sessions.create(params, { idempotencyKey });
      return { id: s.id, url: s.url ?? '' };
    } catch (err) {
      translate(err);
    }
  }

  return {
    async chargeOrder(req): Promise<ChargeResult> {
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: req.amount,
            currency: req.currency,
            customer: req.customerId,
            payment_method: req.paymentMethodId,
            off_session: true,
            confirm: true,
            description: req.description,
            metadata: req.metadata,
            ...(req.shipping ? { shipping: stripeShipping(req.shipping) } : {}),
            // A destination charge: the buyer's card is the platform's; the merchant's account gets
            // the amount less the fee by a transfer Stripe makes with the charge.
            ...(req.split
              ? { transfer_data: { destination: req.split.destination }, application_fee_amount: req.split.applicationFee, expand: ['latest_charge'] }
              : {}),
            ...(req.receiptEmail ? { receipt_email: req.receiptEmail } : {}),
          },
          { idempotencyKey: req.idempotencyKey },
        );
        if (pi.status === 'succeeded') return { outcome: 'succeeded', paymentIntentId: pi.id, transferId: transferOf(pi) };
        if (pi.status === 'requires_action') return { outcome: 'requires_action', paymentIntentId: pi.id, code: 'authentication_required' };
        return { outcome: 'declined', paymentIntentId: pi.id, code: 'payment_incomplete', declineCode: null, message: `payment ended as ${pi.status}` };
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) {
          const pi = (err.raw as { payment_intent?: { id?: string } }).payment_intent;
          const code = err.code ?? 'card_declined';
          if (code === 'authentication_required' && pi?.id) return { outcome: 'requires_action', paymentIntentId: pi.id, code };
          return { outcome: 'declined', paymentIntentId: pi?.id ?? null, code, declineCode: err.decline_code ?? null, message: err.message };
        }
        translate(err);
      }
    },

    createPaymentCheckout: (req) =>
      openCheckout(
        {
          mode: 'payment',
          customer: req.customerId,
          line_items: [{ quantity: req.quantity, price_data: { currency: req.currency, unit_amount: Math.round(req.amount / req.quantity), product_data: { name: req.productName } } }],
          payment_intent_data: {
            metadata: req.paymentIntentMetadata,
            ...(req.split ? { transfer_data: { destination: req.split.destination }, application_fee_amount: req.split.applicationFee } : {}),
          },
          metadata: req.metadata,
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
        },
        req.idempotencyKey,
      ),

    createSetupCheckout: (req) =>
      openCheckout(
        {
          mode: 'setup',
          currency: req.currency,
          customer: req.customerId,
          setup_intent_data: { metadata: req.metadata },
          metadata: req.metadata,
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
        },
        req.idempotencyKey,
      ),

    async getCheckoutUrl(sessionId) {
      try {
        const s = await stripe.checkout.sessions.retrieve(sessionId);
        return { url: s.url ?? null, status: s.status ?? 'open' };
      } catch (err) {
        translate(err);
      }
    },

    async createCustomer({ xUserId, xUsername, idempotencyKey }) {
      try {
        const c = await stripe.customers.create(
          { description: xUsername ? `X @${xUsername}` : `X user ${xUserId}`, metadata: { x_user_id: xUserId } },
          { idempotencyKey },
        );
        return { id: c.id };
      } catch (err) {
        translate(err);
      }
    },

    async saveShipping(customerId, address) {
      try {
        await stripe.customers.update(customerId, { shipping: stripeShipping(address) });
      } catch (err) {
        translate(err);
      }
    },

    async savedCardFromSetupIntent(setupIntentId) {
      try {
        const si = await stripe.setupIntents.retrieve(setupIntentId, { expand: ['payment_method'] });
        const pm = si.payment_method;
        if (!pm) throw new PaymentsRejectedError('no_payment_method', `setup intent ${setupIntentId} has no payment method`);
        return typeof pm === 'string' ? card(await stripe.paymentMethods.retrieve(pm)) : card(pm);
      } catch (err) {
        if (err instanceof PaymentsRejectedError) throw err;
        translate(err);
      }
    },

    async attachPaymentMethod(customerId, paymentMethod) {
      try {
        return card(await stripe.paymentMethods.attach(paymentMethod, { customer: customerId }));
      } catch (err) {
        translate(err);
      }
    },

    async detachPaymentMethod(paymentMethodId) {
      try {
        await stripe.paymentMethods.detach(paymentMethodId);
      } catch (err) {
        translate(err);
      }
    },

    async describeCard(paymentMethodId) {
      try {
        return card(await stripe.paymentMethods.retrieve(paymentMethodId));
      } catch (err) {
        translate(err);
      }
    },

    async refund({ paymentIntentId, amount, idempotencyKey }) {
      try {
        // A payment that arrived too late is given back whole: from a destination charge that
        // means the merchant's transfer and the platform's fee too.
        const pi = await stripe.paymentIntents.retrieve(paymentIntentId);
        const reverse = pi.transfer_data?.destination ? { reverse_transfer: true, refund_application_fee: true } : {};
        const r = await stripe.refunds.create({ payment_intent: paymentIntentId, ...(amount ? { amount } : {}), ...reverse }, { idempotencyKey });
        return { id: r.id, amount: r.amount };
      } catch (err) {
        translate(err);
      }
    },

    async refundPayment(req) {
      try {
        const r = await stripe.refunds.create(
          {
            payment_intent: req.paymentIntentId, amount: req.amount, ...(req.reason ? { reason: req.reason } : {}), metadata: req.metadata,
            // Stripe reverses the transfer and refunds the fee in proportion to the amount refunded.
            ...(req.reverseTransfer ? { reverse_transfer: true, refund_application_fee: true } : {}),
          },
          { idempotencyKey: req.idempotencyKey },
        );
        return refundResultOf(r);
      } catch (err) {
        translate(err);
      }
    },

    ...connectMethods(stripe),

    verifyWebhook(rawBody, signature): WebhookEvent {
      // The platform's endpoint and the Connect endpoint sign with different secrets; either may have sent it.
      const secrets = [o.webhookSecret(), o.connectWebhookSecret?.()].filter((s): s is string => Boolean(s));
      if (!secrets.length) throw new PaymentsRejectedError('webhook_not_configured', 'No webhook secret is configured');
      if (!signature) throw new PaymentsRejectedError('signature_missing', 'Missing Stripe-Signature header');
      let failure: unknown;
      for (const secret of secrets) {
        try {
          const ev = stripe.webhooks.constructEvent(rawBody, signature, secret);
          return { id: ev.id, type: ev.type, created: ev.created, account: ev.account ?? null, object: ev.data.object as unknown as WebhookEvent['object'] };
        } catch (err) {
          failure = err;
        }
      }
      throw new PaymentsRejectedError('signature_invalid', (failure as Error).message, { cause: failure });
    },

    translateEvent: translateStripeEvent,
  };
}
