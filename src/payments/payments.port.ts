import type { ShippingAddress } from '../shipping/address';

/**
 * What the service asks of a payment provider, in its own words. Only the adapter knows Stripe.
 */
export interface ChargeRequest {
  orderId: string;
  customerId: string;
  paymentMethodId: string;
  amount: number;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  /** Derived from the order: a retry reaches the same PaymentIntent. */
  idempotencyKey: string;
  /** Where the order ships (the order's snapshot); null when the product does not ship. */
  shipping: ShippingAddress | null;
  /** Stripe emails its receipt here (the buyer's email from Checkout): proof at once, while the X reply waits for budget. */
  receiptEmail: string | null;
  /** A destination charge: the merchant's connected account gets the amount less the platform's fee. Absent: the charge stays on the platform. */
  split?: ChargeSplit | null;
}

/** Where a sale's money goes: `amount - applicationFee` to `destination`, the fee to the platform. */
export interface ChargeSplit {
  destination: string;
  applicationFee: number;
}

export type ChargeResult =
  | { outcome: 'succeeded'; paymentIntentId: string; /** The transfer a destination charge made, when Stripe said. */ transferId?: string | null }
  | { outcome: 'declined'; paymentIntentId: string | null; code: string; declineCode: string | null; message: string }
  | { outcome: 'requires_action'; paymentIntentId: string; code: string };

/** A failure worth retrying with the same idempotency key (network, timeout, 5xx, 429). */
export class PaymentsUnavailableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PaymentsUnavailableError';
  }
}

/** A failure no retry will fix (bad request, missing customer); recorded on the order. */
export class PaymentsRejectedError extends Error {
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PaymentsRejectedError';
  }
}

export interface CheckoutRequest {
  idempotencyKey: string;
  customerId?: string;
  successUrl: string;
  cancelUrl: string;
  metadata: Record<string, string>;
}

/** A verified provider event as the provider sent it: only the adapter's translation reads `object`. */
export interface WebhookEvent {
  id: string;
  type: string;
  created: number;
  /** The connected account an event is about (Stripe Connect); null for the platform's own. */
  account: string | null;
  object: Record<string, unknown> & { id?: string; object?: string };
}

export interface SavedCard {
  paymentMethodId: string;
  brand: string | null;
  last4: string | null;
}

export interface RefundRequest {
  paymentIntentId: string;
  amount: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
  metadata: Record<string, string>;
  /** Derived from our refund id: a retry reaches the same Stripe refund. */
  idempotencyKey: string;
  /** A destination charge: take back the merchant's transfer and the platform's fee in proportion. */
  reverseTransfer?: boolean;
}

/** What Stripe made of a refund: `pending` refunds settle later (refund.updated / charge.refunded). */
export interface RefundResult {
  id: string;
  amount: number;
  status: 'succeeded' | 'pending' | 'failed';
  failureReason: string | null;
}

/** A refund's new state, with our refund id (null for a refund made outside the service). */
export type RefundUpdate = RefundResult & { refundId: string | null };

/**
 * What a verified provider event means to the service, in its own words: workers apply these and
 * never read the provider's wire format. A new kind is a member here plus a row in the adapter's
 * translation table; the worker's exhaustive switch then asks for its handling.
 */
export type PaymentEvent =
  | { kind: 'order_paid'; orderId: string; paymentIntentId: string }
  | { kind: 'card_saved'; customerId: string; setupIntentId: string; xUserId: string; xUsername: string | null; email: string | null }
  | { kind: 'charge_refunded'; paymentIntentId: string; amountRefunded: number }
  | { kind: 'refund_updated'; refund: RefundUpdate }
  /** A merchant's connected account changed (Connect); `created` orders the updates (Unix seconds). */
  | { kind: 'account_updated'; account: ConnectedAccount; created: number }
  /** `unhandled_type`: not an event the service acts on; `malformed`: one it acts on, lacking what it needs (`detail` says what). */
  | { kind: 'ignored'; type: string; reason: 'unhandled_type' | 'malformed'; detail?: string };

/** A merchant's Stripe connected account, as far as the service cares. */
export interface ConnectedAccount {
  id: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirements: AccountRequirements;
}

export interface AccountRequirements {
  currently_due: string[];
  eventually_due: string[];
  past_due: string[];
  disabled_reason: string | null;
  /** Unix seconds by which `currently_due` must be given, or null. */
  current_deadline: number | null;
}

export interface Money {
  amount: number;
  currency: string;
}

export interface AccountBalance {
  available: Money[];
  pending: Money[];
}

export interface Payout {
  id: string;
  amount: number;
  currency: string;
  status: string;
  /** Unix seconds: when the money is expected in the bank. */
  arrivalDate: number;
  created: number;
  method: string;
  description: string | null;
  failureCode: string | null;
  failureMessage: string | null;
}

export interface PaymentsPort {
  chargeOrder(req: ChargeRequest): Promise<ChargeResult>;
  /** A hosted page where the buyer completes a payment that needed them (3-D Secure). */
  createPaymentCheckout(req: CheckoutRequest & { amount: number; currency: string; productName: string; quantity: number; paymentIntentMetadata: Record<string, string>; split?: ChargeSplit | null }): Promise<{ id: string; url: string }>;
  /** A hosted page where a buyer saves a card for later off-session charges. */
  createSetupCheckout(req: CheckoutRequest & { currency: string }): Promise<{ id: string; url: string }>;
  getCheckoutUrl(sessionId: string): Promise<{ url: string | null; status: string }>;
  createCustomer(input: { xUserId: string; xUsername?: string | null; idempotencyKey: string }): Promise<{ id: string }>;
  /** Keeps the buyer's shipping address on their customer, where Stripe's dashboard shows it. */
  saveShipping(customerId: string, address: ShippingAddress): Promise<void>;
  /** The card saved by a completed setup-mode checkout. */
  savedCardFromSetupIntent(setupIntentId: string): Promise<SavedCard>;
  attachPaymentMethod(customerId: string, paymentMethod: string): Promise<SavedCard>;
  detachPaymentMethod(paymentMethodId: string): Promise<void>;
  describeCard(paymentMethodId: string): Promise<SavedCard>;
  refund(input: { paymentIntentId: string; amount?: number; idempotencyKey: string }): Promise<{ id: string; amount: number }>;
  /** A merchant's refund. Throws PaymentsRejectedError (no money moved) or PaymentsUnavailableError (unknown: retry with the same key). */
  refundPayment(req: RefundRequest): Promise<RefundResult>;
  /** An Express connected account for a merchant; the key makes a retried first use reach the same account. */
  createConnectedAccount(input: { merchantId: string; idempotencyKey: string }): Promise<ConnectedAccount>;
  /** A short-lived, single-use link to Stripe's hosted onboarding for the account. */
  createAccountLink(input: { account: string; refreshUrl: string; returnUrl: string }): Promise<{ url: string; expiresAt: number }>;
  retrieveAccount(account: string): Promise<ConnectedAccount>;
  /** The connected account's own balance (what its payouts draw from). */
  balance(account: string): Promise<AccountBalance>;
  /** The connected account's payouts, newest first; `startingAfter` is a payout id from an earlier page. */
  payouts(account: string, page: { limit: number; startingAfter?: string }): Promise<{ data: Payout[]; hasMore: boolean }>;
  /** Verifies the signature on the raw body; throws on a bad or missing signature. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): WebhookEvent;
  /** What a verified event means to the service (no network call; the same event always translates the same). */
  translateEvent(event: WebhookEvent): PaymentEvent;
}
