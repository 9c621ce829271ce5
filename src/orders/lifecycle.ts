/**
 * The order lifecycle: every status and every allowed transition, spelled here and nowhere
 * else (DESIGN.md, "Order lifecycle"). Writers ask this table what they may do; SQL gets its
 * status lists from the helpers below, so a new status or transition is one edit.
 *
 * Payment status only: fulfilment (unfulfilled → fulfilled) is kept apart on its own column.
 */

export const ORDER_STATUSES = [
  'awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'in_review', 'charging',
  'requires_action', 'paid', 'failed', 'expired', 'sold_out', 'canceled', 'refunded', 'partially_refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Where an order may begin: what the matcher may insert. */
export const INITIAL_STATUSES: readonly OrderStatus[] = [
  'awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'sold_out', 'failed',
];

/** Waiting on the buyer (or on a unit) before any money moves; all may be canceled, expire or run out of stock. */
const WAITING = ['reserved', 'expired', 'canceled', 'sold_out', 'failed'] as const;

/** from → the statuses it may move to. A status absent as a key's value is final for that key. */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  // A buyer who links a card after the last unit went joins the waitlist (when the product keeps one).
  awaiting_signup: [...WAITING, 'waitlisted'],
  awaiting_details: WAITING,
  awaiting_confirmation: WAITING,
  // Promoted when a unit frees: charged (reserved), asked for a card, or asked to #confirm; the unit is held.
  waitlisted: [...WAITING, 'awaiting_signup', 'awaiting_confirmation'],
  // A payment can be confirmed by Stripe's webhook before the charges worker records `charging`.
  // A reserved order whose product ships waits for an address first (units stay held).
  reserved: ['charging', 'paid', 'failed', 'canceled', 'awaiting_details', 'in_review'],
  // Held for the merchant's review (issue 15), its units with it: approved goes on to the charge,
  // rejected (or canceled) frees the units.
  in_review: ['reserved', 'canceled'],
  charging: ['paid', 'requires_action', 'failed'],
  requires_action: ['paid', 'expired', 'canceled'],
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  failed: [],
  expired: [],
  sold_out: [],
  canceled: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses an order may be in to move to `to` (the `WHERE status IN (...)` of that write). */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

export function isFinal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** A charge still to start or finish: the charges queue owes these orders a job. */
export const CHARGE_PENDING: readonly OrderStatus[] = ['reserved', 'charging'];

/**
 * Our own off-session call to Stripe is in flight: its answer settles the order (and a worker that
 * dies before it does is replaced by the sweep's re-run under the same idempotency key, which
 * Stripe answers with the same result). A payment Stripe reports for such an order needs no job.
 */
export const CHARGE_IN_FLIGHT: readonly OrderStatus[] = ['charging'];

/**
 * Orders waiting on the buyer, and why each expires when they never act: a deadline set on the
 * order (`action_expires_at`) or, for a signup or an address, the signup TTL from its creation.
 */
export const EXPIRES_AT_DEADLINE: readonly OrderStatus[] = ['requires_action', 'awaiting_confirmation'];
export const EXPIRES_AFTER_SIGNUP_TTL: readonly OrderStatus[] = ['awaiting_signup', 'awaiting_details'];
/** The failure code an order waiting in each status expires with. */
export const EXPIRY_CODES: Readonly<Partial<Record<OrderStatus, string>>> = {
  requires_action: 'authentication_not_completed',
  awaiting_confirmation: 'confirmation_not_given',
  awaiting_signup: 'signup_not_completed',
  awaiting_details: 'address_not_given',
};

/**
 * An order in these has its units set aside until it is paid or let go (for a product of limited
 * stock: `stock_held`). A product switched from unlimited to limited stock holds them for its
 * orders in these at the switch. (`awaiting_signup` holds units only when promoted from a waitlist,
 * which an unlimited product never keeps.)
 */
export const HOLDS_UNITS: readonly OrderStatus[] = ['awaiting_details', 'awaiting_confirmation', 'reserved', 'in_review', 'charging', 'requires_action'];

/** Money the buyer has committed (held, being charged or taken, less refunds): what a daily limit counts. */
export const COMMITS_SPEND: readonly OrderStatus[] = ['awaiting_confirmation', 'reserved', 'in_review', 'charging', 'requires_action', 'paid', 'partially_refunded'];

/** Money was taken for these (some of it may have gone back). */
export const MONEY_TAKEN: readonly OrderStatus[] = ['paid', 'partially_refunded', 'refunded'];

/** Paid and not wholly refunded: what a merchant may ship (fulfilment is kept apart from these statuses). */
export const FULFILLABLE: readonly OrderStatus[] = ['paid', 'partially_refunded'];

/** The pipeline still moves these by itself (a card linked, a unit reserved, a review decided, a charge made). */
export const IN_PROGRESS: readonly OrderStatus[] = ['awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'in_review', 'charging'];

/** Orders an account still has waiting (nothing taken yet): what blocking that account cancels. */
export const BLOCKABLE: readonly OrderStatus[] = ['awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'in_review'];

/**
 * A status list as SQL literals, e.g. `'reserved', 'charging'`, for `status IN (...)`. The values
 * are this module's constants (checked), never input, so inlining them is safe and keeps the
 * statements set-based without another parameter.
 */
export function sqlStatuses(statuses: readonly OrderStatus[]): string {
  if (statuses.length === 0) throw new Error('an empty status list matches nothing');
  return statuses
    .map((s) => {
      if (!(ORDER_STATUSES as readonly string[]).includes(s)) throw new Error(`unknown order status ${s}`);
      return `'${s}'`;
    })
    .join(', ');
}

export class IllegalTransitionError extends Error {
  constructor(readonly from: OrderStatus, readonly to: OrderStatus) {
    super(`an order cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
