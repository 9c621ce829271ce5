import Stripe from 'stripe';
import {
  PaymentsRejectedError,
  PaymentsUnavailableError,
  type ChargeResult,
  type PaymentsPort,
  type SavedCard,
  type WebhookEvent,
} from './payments.port';
import type { ShippingAddress } from '../shipping/address';
import { refundResultOf, translateStripeEvent } from './stripe-event-translation';

export interface StripeAdapterOptions {
  secretKey: string;
  webhookSecret: () => string | undefined;
  /** The emulator's base URL (refused in production by config). */
  apiBase?: string;
  timeoutMs?: number;
  maxNetworkRetries?: number;
}

function clientOptions(o: StripeAdapterOptions): Stripe.StripeConfig {
  const base: Stripe.StripeConfig = { timeout: o.timeoutMs ?? 10_000, maxNetworkRetries: o.maxNetworkRetries ?? 2, appInfo: { name: 'hashtag-checkout' } };
  if (!o.apiBase) return base;
  const u = new URL(o.apiBase);
  return { ...base, host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), protocol: u.protocol.replace(':', '') as 'http' | 'https' };
}

/** Sorts Stripe's errors into: retry later, or give up and record why. */
function translate(err: unknown): never {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    // 409: a concurrent request holds the idempotency key; it resolves on its own.
    const retryable =
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeAPIError ||
      err instanceof Stripe.errors.StripeRateLimitError ||
      status >= 500 || status === 429 || status === 409;
    if (retryable) {
      throw new PaymentsUnavailableError(`Stripe unavailable: ${err.message}`, status === 429 ? 1000 : undefined, { cause: err });
    }
    throw new PaymentsRejectedError(err.code ?? err.type ?? 'stripe_error', err.message, { cause: err });
  }
  throw new PaymentsUnavailableError(`Stripe call failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
}

/** Our address in Stripe's `shipping` shape (customers and PaymentIntents share it). */
export function stripeShipping(a: ShippingAddress): Stripe.CustomerUpdateParams.Shipping {
  return {
    name: a.name,
    phone: a.phone ?? '',
    address: { line1: a.line1, line2: a.line2 ?? '', city: a.city, state: a.state ?? '', postal_code: a.postal_code ?? '', country: a.country },
  };
}

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
            ...(req.receiptEmail ? { receipt_email: req.receiptEmail } : {}),
          },
          { idempotencyKey: req.idempotencyKey },
        );
        if (pi.status === 'succeeded') return { outcome: 'succeeded', paymentIntentId: pi.id };
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
          payment_intent_data: { metadata: req.paymentIntentMetadata },
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
        const r = await stripe.refunds.create({ payment_intent: paymentIntentId, ...(amount ? { amount } : {}) }, { idempotencyKey });
        return { id: r.id, amount: r.amount };
      } catch (err) {
        translate(err);
      }
    },

    async refundPayment(req) {
      try {
        const r = await stripe.refunds.create(
          { payment_intent: req.paymentIntentId, amount: req.amount, ...(req.reason ? { reason: req.reason } : {}), metadata: req.metadata },
          { idempotencyKey: req.idempotencyKey },
        );
        return refundResultOf(r);
      } catch (err) {
        translate(err);
      }
    },

    verifyWebhook(rawBody, signature): WebhookEvent {
      const secret = o.webhookSecret();
      if (!secret) throw new PaymentsRejectedError('webhook_not_configured', 'No webhook secret is configured');
      if (!signature) throw new PaymentsRejectedError('signature_missing', 'Missing Stripe-Signature header');
      try {
        const ev = stripe.webhooks.constructEvent(rawBody, signature, secret);
        return { id: ev.id, type: ev.type, created: ev.created, account: ev.account ?? null, object: ev.data.object as unknown as WebhookEvent['object'] };
      } catch (err) {
        throw new PaymentsRejectedError('signature_invalid', (err as Error).message, { cause: err });
      }
    },

    translateEvent: translateStripeEvent,
  };
}
