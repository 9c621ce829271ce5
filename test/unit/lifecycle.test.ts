import { canTransition, INITIAL_STATUSES, isFinal, ORDER_STATUSES, sourcesOf, sqlStatuses, TRANSITIONS, type OrderStatus } from '../../src/orders/lifecycle';

/**
 * DESIGN.md, "Order lifecycle", transcribed edge by edge:
 *
 *   awaiting_signup / awaiting_details / awaiting_confirmation / waitlisted ─► reserved
 *   reserved ─► charging ─► paid ─► refunded / partially_refunded
 *   charging ─► requires_action ─► paid | expired
 *   charging ─► failed
 *   canceled, expired, sold_out: final
 */
const DIAGRAM: Array<[OrderStatus, OrderStatus]> = [
  ['awaiting_signup', 'reserved'], ['awaiting_details', 'reserved'], ['awaiting_confirmation', 'reserved'], ['waitlisted', 'reserved'],
  ['reserved', 'charging'], ['charging', 'paid'], ['paid', 'refunded'], ['paid', 'partially_refunded'],
  ['charging', 'requires_action'], ['requires_action', 'paid'], ['requires_action', 'expired'], ['charging', 'failed'],
];
const DIAGRAM_FINAL: OrderStatus[] = ['canceled', 'expired', 'sold_out'];

/** Edges the diagram leaves implicit, each with the reason the service needs it. */
const IMPLIED: Array<[OrderStatus, OrderStatus]> = [
  // A waiting order expires, is canceled (merchant, issue 11), finds the product sold out, or fails the daily limit.
  ...(['awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted'] as const).flatMap((s) =>
    (['expired', 'canceled', 'sold_out', 'failed'] as const).map((to): [OrderStatus, OrderStatus] => [s, to])),
  ['reserved', 'paid'], // Stripe's webhook can confirm the payment before the worker records `charging`
  ['reserved', 'failed'], // the buyer removed their card before the charge
  ['reserved', 'awaiting_details'], // the product ships and the buyer has no address it ships to (units stay held)
  ['reserved', 'canceled'], ['requires_action', 'canceled'], // the merchant cancels an unpaid order
  ['partially_refunded', 'partially_refunded'], ['partially_refunded', 'refunded'], // further refunds
  // The review queue (issue 15): held before the charge, then approved (reserved again) or rejected.
  ['reserved', 'in_review'], ['in_review', 'reserved'], ['in_review', 'canceled'],
  ['awaiting_signup', 'waitlisted'], // a buyer links a card after the last unit went: they join the waitlist
  ['waitlisted', 'awaiting_signup'], ['waitlisted', 'awaiting_confirmation'], // promoted: asked for a card, or to #confirm
];

const edges = () => ORDER_STATUSES.flatMap((from) => TRANSITIONS[from].map((to) => `${from}→${to}`)).sort();

describe('order lifecycle table', () => {
  it('is exactly the design diagram plus the edges it implies', () => {
    const expected = [...new Set([...DIAGRAM, ...IMPLIED].map(([a, b]) => `${a}→${b}`))].sort();
    expect(edges()).toEqual(expected);
    for (const s of DIAGRAM_FINAL) expect(isFinal(s)).toBe(true);
  });

  it('refuses what the diagram does not allow', () => {
    expect(canTransition('paid', 'reserved')).toBe(false);
    expect(canTransition('refunded', 'paid')).toBe(false);
    expect(canTransition('canceled', 'reserved')).toBe(false);
    expect(canTransition('paid', 'canceled')).toBe(false);
    expect(canTransition('failed', 'charging')).toBe(false);
  });

  it('names every status it uses, and every status is reachable', () => {
    for (const targets of Object.values(TRANSITIONS)) for (const to of targets) expect(ORDER_STATUSES).toContain(to);
    for (const s of ORDER_STATUSES) expect(INITIAL_STATUSES.includes(s) || sourcesOf(s).length > 0).toBe(true);
  });

  it('gives SQL only its own constants', () => {
    expect(sqlStatuses(sourcesOf('paid'))).toBe("'reserved', 'charging', 'requires_action'");
    expect(() => sqlStatuses(["paid') OR ('1'='1" as OrderStatus])).toThrow(/unknown order status/);
    expect(() => sqlStatuses([])).toThrow();
  });
});
