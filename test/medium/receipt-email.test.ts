import { startMoneyKit, type MoneyKit } from './kit';

// Stripe emails the receipt to the address Checkout collected, so a buyer has proof at once even
// while the X receipt waits for budget; the public reply never carries the address.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

it('a buyer who gave Checkout an email gets the charge with receipt_email; the reply on X does not show it', async () => {
  await kit.product('BuyMailMug', { inventory: 5 });
  const user = kit.x.createUser({ username: 'mail_buyer' });
  // The buyer posts before linking a card: the order waits for signup.
  const postId = await kit.post(user, '@shop #BuyMailMug');
  await kit.settle();
  expect(await kit.ordersOfPost(postId)).toMatchObject([{ status: 'awaiting_signup' }]);

  // They save a card through Stripe Checkout, typing their email there.
  const customer = await kit.rt.payments.createCustomer({ xUserId: user.id, xUsername: 'mail_buyer', idempotencyKey: `customer-${user.id}` });
  const session = await kit.rt.payments.createSetupCheckout({
    idempotencyKey: `setup-${user.id}`, customerId: customer.id, currency: 'usd',
    successUrl: 'http://localhost/welcome', cancelUrl: 'http://localhost/cancel', metadata: { x_user_id: user.id, x_username: 'mail_buyer' },
  });
  const paid = await fetch(session.url, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ payment_method: 'pm_card_visa', email: 'mail.buyer@example.com' }),
  });
  expect(paid.status).toBe(303);
  await kit.settle();

  const [order] = await kit.ordersOfPost(postId);
  expect(order).toMatchObject({ status: 'paid', reply_status: 'posted' });
  // Stripe has the address on the PaymentIntent (read back through stripe-node, Stripe's wire format).
  const stripe = kit.stripeApi;
  const intent = await stripe.paymentIntents.retrieve(String(order!.payment_intent));
  expect(intent).toMatchObject({ status: 'succeeded', receipt_email: 'mail.buyer@example.com' });
  // The public receipt on X names the order, never the email.
  const [reply] = kit.repliesOn(postId);
  expect(reply!.text).toMatch(/^Paid: Mug/);
  expect(reply!.text).not.toContain('example.com');
  // The merchant's view of the order does not carry it either.
  expect(JSON.stringify(order)).not.toContain('mail.buyer');
}, 60_000);

it('a buyer with no email on file is charged without receipt_email', async () => {
  await kit.product('BuyNoMailMug', { inventory: 5 });
  const postId = await kit.post(await kit.buyer('nomail_buyer'), '@shop #BuyNoMailMug');
  await kit.settle();
  const [order] = await kit.ordersOfPost(postId);
  expect(order).toMatchObject({ status: 'paid' });
  const intent = kit.stripe.paymentIntents().find((pi) => pi.id === order!.payment_intent);
  expect(intent).toMatchObject({ receipt_email: null });
}, 60_000);
