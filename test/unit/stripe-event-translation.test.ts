import Stripe from 'stripe';
import { createStripeAdapter } from '../../src/payments/stripe.adapter';
import { STRIPE_EVENTS_HANDLED } from '../../src/webhooks/stripe.routes';

/**
 * The Stripe adapter's translation table: a signed Stripe event in, the service's own payment
 * event out, through the port (verifyWebhook then translateEvent) as the webhook and worker use it.
 */
const SECRET = 'whsec_translation0123456789';
const payments = createStripeAdapter({ secretKey: 'sk_test_translation', webhookSecret: () => SECRET, apiBase: 'http://127.0.0.1:9' });

let seq = 0;
function translate(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const payload = JSON.stringify({ id: `evt_t${++seq}`, object: 'event', type, created: 1_800_000_000, data: { object }, ...extra });
  const event = payments.verifyWebhook(Buffer.from(payload), Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
  return { event, meaning: payments.translateEvent(event) };
}

describe('Stripe events in our words', () => {
  it('a payment-mode checkout that completed paid its order', () => {
    const session = { id: 'cs_1', object: 'checkout.session', mode: 'payment', payment_intent: 'pi_1', metadata: { order_id: 'ord_1', purpose: 'order_action' } };
    expect(translate('checkout.session.completed', session).meaning).toEqual({ kind: 'order_paid', orderId: 'ord_1', paymentIntentId: 'pi_1' });
    // Expanded, the intent is an object carrying its id.
    expect(translate('checkout.session.completed', { ...session, payment_intent: { id: 'pi_2', object: 'payment_intent' } }).meaning)
      .toEqual({ kind: 'order_paid', orderId: 'ord_1', paymentIntentId: 'pi_2' });
  });

  it('a setup-mode checkout saved a buyer card, with the email Checkout collected (for Stripe receipts)', () => {
    const session = { id: 'cs_2', object: 'checkout.session', mode: 'setup', setup_intent: 'seti_1', customer: 'cus_1', metadata: { x_user_id: '42', x_username: 'ada' } };
    expect(translate('checkout.session.completed', session).meaning)
      .toEqual({ kind: 'card_saved', customerId: 'cus_1', setupIntentId: 'seti_1', xUserId: '42', xUsername: 'ada', email: null });
    expect(translate('checkout.session.completed', { ...session, metadata: { x_user_id: '42' } }).meaning)
      .toEqual({ kind: 'card_saved', customerId: 'cus_1', setupIntentId: 'seti_1', xUserId: '42', xUsername: null, email: null });
    expect(translate('checkout.session.completed', { ...session, customer_details: { email: ' ada@example.com ' } }).meaning)
      .toMatchObject({ kind: 'card_saved', email: 'ada@example.com' });
    expect(translate('checkout.session.completed', { ...session, customer_details: { email: 'not an email' } }).meaning)
      .toMatchObject({ kind: 'card_saved', email: null });
  });

  it('a succeeded intent paid its order', () => {
    expect(translate('payment_intent.succeeded', { id: 'pi_3', object: 'payment_intent', status: 'succeeded', metadata: { order_id: 'ord_3' } }).meaning)
      .toEqual({ kind: 'order_paid', orderId: 'ord_3', paymentIntentId: 'pi_3' });
  });

  it('a refunded charge reports the total refunded on its intent', () => {
    expect(translate('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_4', amount: 2500, amount_refunded: 1000 }).meaning)
      .toEqual({ kind: 'charge_refunded', paymentIntentId: 'pi_4', amountRefunded: 1000 });
  });

  it.each(['refund.updated', 'charge.refund.updated'])('%s carries the refund state and our refund id', (type) => {
    const refund = { id: 're_1', object: 'refund', amount: 700, status: 'succeeded', failure_reason: null, payment_intent: 'pi_5', metadata: { refund_id: 'ref_1' } };
    expect(translate(type, refund).meaning)
      .toEqual({ kind: 'refund_updated', refund: { id: 're_1', amount: 700, status: 'succeeded', failureReason: null, refundId: 'ref_1' } });
    // A canceled refund moved no money: failed as far as we are concerned. One made in the dashboard has no id of ours.
    expect(translate(type, { ...refund, status: 'canceled', metadata: {} }).meaning)
      .toEqual({ kind: 'refund_updated', refund: { id: 're_1', amount: 700, status: 'failed', failureReason: 'canceled', refundId: null } });
    expect(translate(type, { ...refund, status: 'failed', failure_reason: 'expired_or_canceled_card' }).meaning)
      .toMatchObject({ refund: { status: 'failed', failureReason: 'expired_or_canceled_card' } });
    expect(translate(type, { ...refund, status: 'requires_action' }).meaning).toMatchObject({ refund: { status: 'pending', failureReason: null } });
  });

  it('an event type the service does not act on is ignored and not subscribed to', () => {
    expect(translate('customer.created', { id: 'cus_9', object: 'customer' }).meaning)
      .toEqual({ kind: 'ignored', type: 'customer.created', reason: 'unhandled_type' });
    expect(STRIPE_EVENTS_HANDLED).not.toContain('customer.created');
    // A name Object.prototype carries is not a row of the table.
    expect(translate('constructor', { id: 'x' }).meaning).toMatchObject({ kind: 'ignored', reason: 'unhandled_type' });
  });

  it('subscribes to exactly the types it translates', () => {
    expect([...STRIPE_EVENTS_HANDLED].sort()).toEqual(['account.updated', 'charge.refund.updated', 'charge.refunded', 'checkout.session.completed', 'payment_intent.succeeded', 'refund.updated']);
    for (const type of STRIPE_EVENTS_HANDLED) expect(translate(type, {}).meaning).toMatchObject({ kind: 'ignored', type, reason: 'malformed' });
  });

  it.each([
    ['checkout.session.completed', { mode: 'payment', payment_intent: 'pi_1', metadata: {} }, 'metadata.order_id missing'],
    ['checkout.session.completed', { mode: 'payment', metadata: { order_id: 'ord_1' } }, 'payment_intent missing'],
    ['checkout.session.completed', { mode: 'setup', setup_intent: 'seti_1', customer: 'cus_1' }, 'metadata.x_user_id missing'],
    ['checkout.session.completed', { mode: 'setup', customer: 'cus_1', metadata: { x_user_id: '42' } }, 'setup_intent missing'],
    ['checkout.session.completed', { mode: 'setup', setup_intent: 'seti_1', metadata: { x_user_id: '42' } }, 'customer missing'],
    ['checkout.session.completed', { mode: 'subscription', metadata: { order_id: 'ord_1' } }, 'checkout mode subscription is not one the service opens'],
    ['payment_intent.succeeded', { id: 'pi_1', metadata: { order_id: '' } }, 'metadata.order_id missing'],
    ['payment_intent.succeeded', { id: 'pi_1', metadata: 'ord_1' }, 'metadata.order_id missing'],
    ['charge.refunded', { payment_intent: 'pi_1', amount_refunded: '1000' }, 'amount_refunded is not an amount'],
    ['charge.refunded', { payment_intent: 'pi_1', amount_refunded: 10.5 }, 'amount_refunded is not an amount'],
    ['charge.refunded', { amount_refunded: 1000 }, 'payment_intent missing'],
    ['refund.updated', { id: 'ch_1', object: 'charge', amount: 700, status: 'succeeded' }, 'object is not a refund'],
    ['refund.updated', { id: 're_1', object: 'refund', status: 'succeeded' }, 'refund lacks id, amount or status'],
  ])('a malformed %s is ignored with the reason (%j)', (type, object, detail) => {
    expect(translate(type, object).meaning).toEqual({ kind: 'ignored', type, reason: 'malformed', detail });
  });

  it('keeps the connected account a Connect event is about', () => {
    expect(translate('customer.created', {}, { account: 'acct_1' }).event.account).toBe('acct_1');
    expect(translate('customer.created', {}).event.account).toBeNull();
  });
});
