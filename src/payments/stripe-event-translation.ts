import type Stripe from 'stripe';
import { accountFromEvent } from './stripe.connect';
import type { PaymentEvent, RefundResult, RefundUpdate, WebhookEvent } from './payments.port';

/**
 * Stripe's webhook events in the service's words (PaymentEvent). The table below is the one place
 * an event type is given a meaning: its keys are also what the webhook endpoint subscribes to.
 * Each row reads only what it needs and checks it, so a field Stripe (or anyone holding the
 * secret) left out turns into `ignored` with a reason, never into a half-applied event.
 */

type StripeObject = WebhookEvent['object'];
type Translate = (event: WebhookEvent) => PaymentEvent;

/** An id Stripe sends either as a string or, when expanded, as an object carrying it. */
function idOf(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id || null;
  return null;
}

function metadataOf(object: StripeObject): Record<string, string> {
  const metadata = object.metadata;
  if (!metadata || typeof metadata !== 'object') return {};
  return Object.fromEntries(Object.entries(metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}

const malformed = (event: WebhookEvent, detail: string): PaymentEvent => ({ kind: 'ignored', type: event.type, reason: 'malformed', detail });

/** Stripe's refund in our words: `requires_action` and `canceled` are not settled as far as we are concerned. */
export function refundResultOf(refund: Pick<Stripe.Refund, 'id' | 'amount' | 'status' | 'failure_reason'>): RefundResult {
  const status = refund.status === 'succeeded' || refund.status === 'failed' ? refund.status : refund.status === 'canceled' ? 'failed' : 'pending';
  return { id: refund.id, amount: refund.amount, status, failureReason: status === 'failed' ? (refund.failure_reason ?? refund.status ?? 'failed') : null };
}

/** The email the buyer gave Checkout (customer_details.email), if it looks like one. */
function collectedEmail(session: Record<string, unknown>): string | null {
  const details = session.customer_details as { email?: unknown } | null | undefined;
  const email = typeof details?.email === 'string' ? details.email.trim() : '';
  return email && email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null;
}

/** A payment-mode session paid an order (3-D Secure checkout); a setup-mode one saved a buyer's card. */
const checkoutCompleted: Translate = (event) => {
  const session = event.object;
  const metadata = metadataOf(session);
  if (session.mode === 'payment') {
    const paymentIntentId = idOf(session.payment_intent);
    if (!metadata.order_id) return malformed(event, 'metadata.order_id missing');
    if (!paymentIntentId) return malformed(event, 'payment_intent missing');
    return { kind: 'order_paid', orderId: metadata.order_id, paymentIntentId };
  }
  if (session.mode === 'setup') {
    const setupIntentId = idOf(session.setup_intent);
    const customerId = idOf(session.customer);
    if (!metadata.x_user_id) return malformed(event, 'metadata.x_user_id missing');
    if (!setupIntentId) return malformed(event, 'setup_intent missing');
    if (!customerId) return malformed(event, 'customer missing');
    return { kind: 'card_saved', customerId, setupIntentId, xUserId: metadata.x_user_id, xUsername: metadata.x_username ?? null, email: collectedEmail(session) };
  }
  return malformed(event, `checkout mode ${typeof session.mode === 'string' ? session.mode : 'missing'} is not one the service opens`);
};

/** Every off-session charge, and the intent behind a payment-mode checkout. */
const paymentIntentSucceeded: Translate = (event) => {
  const orderId = metadataOf(event.object).order_id;
  const paymentIntentId = idOf(event.object.id);
  if (!orderId) return malformed(event, 'metadata.order_id missing');
  if (!paymentIntentId) return malformed(event, 'id missing');
  return { kind: 'order_paid', orderId, paymentIntentId };
};

/** A charge's refunded total, whoever refunded it (the service or the dashboard). */
const chargeRefunded: Translate = (event) => {
  const paymentIntentId = idOf(event.object.payment_intent);
  const amountRefunded = event.object.amount_refunded;
  if (!paymentIntentId) return malformed(event, 'payment_intent missing');
  if (typeof amountRefunded !== 'number' || !Number.isSafeInteger(amountRefunded) || amountRefunded < 0) return malformed(event, 'amount_refunded is not an amount');
  return { kind: 'charge_refunded', paymentIntentId, amountRefunded };
};

/** A refund Stripe first answered `pending` settles later: ours follows (order, stock, reply). */
const refundUpdated: Translate = (event) => {
  const object = event.object;
  if (object.object !== 'refund') return malformed(event, 'object is not a refund');
  if (typeof object.id !== 'string' || typeof object.amount !== 'number' || typeof object.status !== 'string') return malformed(event, 'refund lacks id, amount or status');
  const refund = object as unknown as Stripe.Refund;
  const update: RefundUpdate = { ...refundResultOf(refund), refundId: metadataOf(object).refund_id ?? null };
  return { kind: 'refund_updated', refund: update };
};

/** Connect: a merchant's connected account changed (charges or payouts enabled, requirements due). */
const accountUpdated: Translate = (event) => {
  const account = accountFromEvent(event.object);
  if (!account) return malformed(event, 'object is not a connected account');
  return { kind: 'account_updated', account, created: event.created };
};

const TRANSLATIONS = {
  'checkout.session.completed': checkoutCompleted,
  'payment_intent.succeeded': paymentIntentSucceeded,
  'charge.refunded': chargeRefunded,
  'refund.updated': refundUpdated,
  'charge.refund.updated': refundUpdated,
  'account.updated': accountUpdated,
} satisfies Record<string, Translate>;

export type HandledStripeEventType = keyof typeof TRANSLATIONS;

/** The event types the service acts on: what its webhook endpoint subscribes to. */
export const STRIPE_EVENTS_HANDLED = Object.keys(TRANSLATIONS) as readonly HandledStripeEventType[];

function isHandled(type: string): type is HandledStripeEventType {
  return Object.prototype.hasOwnProperty.call(TRANSLATIONS, type);
}

/** A verified Stripe event as a PaymentEvent; a type not in the table is `ignored` (`unhandled_type`). */
export function translateStripeEvent(event: WebhookEvent): PaymentEvent {
  if (!isHandled(event.type)) return { kind: 'ignored', type: event.type, reason: 'unhandled_type' };
  if (!event.object || typeof event.object !== 'object') return malformed(event, 'data.object missing');
  return TRANSLATIONS[event.type](event);
}
