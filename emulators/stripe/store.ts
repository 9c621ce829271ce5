import type { TestCard } from './cards';

export type Metadata = Record<string, string>;

/** Every stored object is its own API representation, mutated in place and serialised on the way out. */
export interface StripeObject {
  id: string;
  object: string;
  created: number;
  livemode: false;
  [field: string]: unknown;
}

export interface Customer extends StripeObject {
  email: string | null;
  name: string | null;
  metadata: Metadata;
  invoice_settings: { default_payment_method: string | null; [k: string]: unknown };
}

export interface PaymentMethod extends StripeObject {
  customer: string | null;
  card: { brand: string; last4: string; exp_month: number; exp_year: number; funding: string; country: string; [k: string]: unknown };
}

export interface SetupIntent extends StripeObject {
  customer: string | null;
  payment_method: string | null;
  status: string;
  metadata: Metadata;
}

export interface PaymentIntent extends StripeObject {
  amount: number;
  amount_received: number;
  currency: string;
  customer: string | null;
  payment_method: string | null;
  status: string;
  metadata: Metadata;
  latest_charge: string | null;
  setup_future_usage: string | null;
}

export interface Charge extends StripeObject {
  amount: number;
  amount_refunded: number;
  currency: string;
  customer: string | null;
  payment_intent: string | null;
  status: string;
  refunded: boolean;
}

export interface Refund extends StripeObject {
  amount: number;
  charge: string;
  payment_intent: string | null;
}

export interface CheckoutSession extends StripeObject {
  mode: 'setup' | 'payment';
  status: 'open' | 'complete' | 'expired';
  customer: string | null;
  payment_intent: string | null;
  setup_intent: string | null;
  success_url: string | null;
  cancel_url: string | null;
  amount_total: number | null;
  currency: string | null;
  expires_at: number;
  url: string | null;
  metadata: Metadata;
}

export interface CheckoutExtras {
  lineItems: StripeObject[];
  setupIntentMetadata: Metadata;
  paymentIntentData: { metadata: Metadata; description: string | null; setup_future_usage: string | null; connect: Record<string, unknown> };
  customerCreation: string | null;
}

export interface WebhookEndpoint extends StripeObject {
  url: string;
  enabled_events: string[];
  secret?: string;
}

export interface Account extends StripeObject {
  type: string;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  capabilities: Record<string, string>;
  requirements: { currently_due: string[]; eventually_due: string[]; past_due: string[]; disabled_reason: string | null; current_deadline: number | null; [k: string]: unknown };
  country: string;
  default_currency: string;
  email: string | null;
  metadata: Metadata;
}

/** An Account Link's hosted page state (never serialised: the API answer is built from it). */
export interface AccountLinkState {
  token: string;
  account: string;
  refreshUrl: string;
  returnUrl: string;
  expiresAt: number;
  /** The page was shown: a second visit goes to refresh_url, as Stripe's links are visited once. */
  opened: boolean;
  /** A button was pressed. */
  used: boolean;
}

export interface Transfer extends StripeObject {
  amount: number;
  amount_reversed: number;
  currency: string;
  destination: string;
  reversed: boolean;
  reversals: { object: 'list'; data: StripeObject[]; has_more: boolean; total_count: number; url: string };
}

export interface ApplicationFee extends StripeObject {
  account: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  refunded: boolean;
  refunds: { object: 'list'; data: StripeObject[]; has_more: boolean; total_count: number; url: string };
}

export interface Payout extends StripeObject {
  amount: number;
  currency: string;
  status: string;
}

/** One account's money in one currency (minor units). */
export interface BalanceBucket {
  available: number;
  pending: number;
}

/** What a payment method does when used; kept beside the object so it never leaks into responses. */
export interface CardState {
  card: TestCard;
  setUpOffSession: boolean;
}

/** Balance key of the platform (the API key's own account). */
export const PLATFORM = 'platform';

export class Store {
  customers = new Map<string, Customer>();
  deletedCustomers = new Set<string>();
  paymentMethods = new Map<string, PaymentMethod>();
  cardStates = new Map<string, CardState>();
  setupIntents = new Map<string, SetupIntent>();
  paymentIntents = new Map<string, PaymentIntent>();
  charges = new Map<string, Charge>();
  refunds = new Map<string, Refund>();
  checkoutSessions = new Map<string, CheckoutSession>();
  checkoutExtras = new Map<string, CheckoutExtras>();
  accounts = new Map<string, Account>();
  accountLinks = new Map<string, AccountLinkState>();
  transfers = new Map<string, Transfer>();
  applicationFees = new Map<string, ApplicationFee>();
  /** Keyed by connected account id, or PLATFORM for the platform itself. */
  balances = new Map<string, Map<string, BalanceBucket>>();
  payouts = new Map<string, Payout>();
  // Per-customer indexes keep list-by-customer off full scans.
  pmsByCustomer = new Map<string, Set<string>>();
  pisByCustomer = new Map<string, Set<string>>();

  indexAdd(index: Map<string, Set<string>>, key: string, id: string): void {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(id);
  }

  indexDelete(index: Map<string, Set<string>>, key: string, id: string): void {
    index.get(key)?.delete(id);
  }

  /** Resolves any id by its prefix: used by `expand[]`. */
  byId(id: string): StripeObject | undefined {
    const prefix = id.slice(0, id.indexOf('_') + 1);
    switch (prefix) {
      case 'cus_': return this.customers.get(id);
      case 'pm_': return this.paymentMethods.get(id);
      case 'seti_': return this.setupIntents.get(id);
      case 'pi_': return this.paymentIntents.get(id);
      case 'ch_': return this.charges.get(id);
      case 're_': return this.refunds.get(id);
      case 'cs_': return this.checkoutSessions.get(id);
      case 'acct_': return this.accounts.get(id);
      case 'tr_': return this.transfers.get(id);
      case 'fee_': return this.applicationFees.get(id);
      case 'po_': return this.payouts.get(id);
      default: return undefined;
    }
  }
}
