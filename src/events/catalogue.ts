/**
 * The merchant event catalogue: every type a merchant can list or subscribe to, what it is
 * about, when it fires and which `order_events.type` rows it is made of. Later features add
 * their types here (and nowhere else); stored types that are not listed (`order.charging`,
 * `order.reserved`, `order.late_payment`) stay internal.
 */
export const EVENT_CATALOGUE = {
  'order.created': { object: 'order', stored: ['order.created'], when: 'A post made an order (whatever its first status).' },
  'order.awaiting_signup': { object: 'order', stored: ['order.awaiting_signup'], when: 'The buyer has no card yet and was sent a signup link; the order waits.' },
  'order.awaiting_details': { object: 'order', stored: ['order.awaiting_details'], when: "The product ships and the buyer has no address it ships to; the buyer was asked for one and the order waits, its units held." },
  'order.awaiting_confirmation': { object: 'order', stored: ['order.awaiting_confirmation'], when: 'The product or the buyer asks for a #confirm reply; the order waits 15 minutes with its units held, then is charged or expires.' },
  'order.waitlisted': { object: 'order', stored: ['order.waitlisted'], when: 'The product was sold out; the order joined its waitlist (in post order) and the buyer was told their place.' },
  'order.promoted': { object: 'order', stored: ['order.promoted'], when: "A unit freed up and went to this order, the first on the waitlist; the next event says what it waits for (charge, card, #confirm)." },
  'order.requires_action': { object: 'order', stored: ['order.requires_action'], when: "The buyer's bank asked for authentication; the buyer was sent a link." },
  'order.paid': { object: 'order', stored: ['order.paid'], when: 'The charge succeeded; the units are sold.' },
  'order.payment_failed': { object: 'order', stored: ['order.failed'], when: 'The charge was declined or could not be made; the units were freed.' },
  'order.sold_out': { object: 'order', stored: ['order.sold_out'], when: 'No unit was left for the order.' },
  'order.expired': { object: 'order', stored: ['order.expired'], when: 'The buyer did not sign up or authenticate in time; the units were freed.' },
  'order.refunded': { object: 'order', stored: ['order.refunded'], when: 'The order was refunded in full.' },
  'order.partially_refunded': { object: 'order', stored: ['order.partially_refunded'], when: 'Part of the order was refunded.' },
  'order.canceled': { object: 'order', stored: ['order.canceled'], when: 'The merchant canceled the order before it was paid; the units were freed and the buyer told.' },
  'order.refund_failed': { object: 'order', stored: ['order.refund_failed'], when: "Stripe refused or failed a refund (the merchant's or a buyer's #cancel); data carries the refund id and Stripe's reason. The order's status is unchanged." },
  'order.fulfilled': { object: 'order', stored: ['order.fulfilled'], when: 'The merchant marked the order shipped (fulfillment_status `fulfilled`); the buyer was told.' },
  'order.in_review': { object: 'order', stored: ['order.in_review'], when: "A review rule held the order before its charge (data.reasons says which); its units are held until you approve or reject it, or the review window closes." },
  'order.approved': { object: 'order', stored: ['order.approved'], when: 'The order was approved in review (by you, or by the review window closing) and goes on to the charge.' },
  'order.rejected': { object: 'order', stored: ['order.rejected'], when: 'The order was rejected in review (by you, or by the review window closing); its units were freed and the buyer told. Its status is `canceled`.' },
  'product.sold_out': { object: 'product', stored: ['product.sold_out'], when: "An order took a product's last unit." },
  'product.variant_sold_out': { object: 'product', stored: ['product.variant_sold_out'], when: "An order took a variant's last unit; data.variant names it (id, sku, options). Other variants may still sell." },
} as const satisfies Record<string, { object: 'order' | 'product'; stored: readonly string[]; when: string }>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

const PUBLIC_BY_STORED = new Map<string, EventType>(
  EVENT_TYPES.flatMap((t) => EVENT_CATALOGUE[t].stored.map((s) => [s, t] as const)),
);

/** The public type of a stored event row, or undefined for internal rows. */
export function publicType(stored: string): EventType | undefined {
  return PUBLIC_BY_STORED.get(stored);
}

/** Stored types behind a filter: an exact public type, or a prefix such as `order.*`. */
export function storedTypesFor(filter: string): string[] {
  const matches = filter.endsWith('.*') ? EVENT_TYPES.filter((t) => t.startsWith(filter.slice(0, -1))) : EVENT_TYPES.filter((t) => t === filter);
  return matches.flatMap((t) => [...EVENT_CATALOGUE[t].stored]);
}

export const ALL_STORED_TYPES = [...PUBLIC_BY_STORED.keys()];

/** Ids: `evt_` + the outbox row's id. Stable, needs no column, and sorts like the outbox. */
export const eventId = (rowId: number | string) => `evt_${rowId}`;
export function rowIdOf(eventIdText: string): string | undefined {
  const m = /^evt_([1-9][0-9]{0,17})$/.exec(eventIdText);
  return m?.[1];
}
