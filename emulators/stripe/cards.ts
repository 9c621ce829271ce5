/** How a test card behaves when set up (SetupIntent, attach) and when charged. */
export type CardBehaviour =
  | 'succeed'
  | 'decline' // declines setup and every charge
  | 'charge_fail' // sets up fine, every charge declines
  | 'auth_always' // every transaction needs 3DS, even off-session after setup
  | 'auth_unless_setup'; // needs 3DS on-session; off-session works once set up

export interface TestCard {
  token: string;
  label: string;
  brand: string;
  last4: string;
  funding: string;
  country: string;
  behaviour: CardBehaviour;
  declineCode?: string;
  declineMessage?: string;
  /** Refunds of its charges start `pending` and settle later (POST /_emulator/refunds/:id). */
  refundsPending?: boolean;
}

const DECLINED = 'Your card was declined.';

export const TEST_CARDS: readonly TestCard[] = [
  { token: 'pm_card_visa', label: 'Visa 4242 (succeeds)', brand: 'visa', last4: '4242', funding: 'credit', country: 'US', behaviour: 'succeed' },
  { token: 'pm_card_mastercard', label: 'Mastercard 4444 (succeeds)', brand: 'mastercard', last4: '4444', funding: 'credit', country: 'US', behaviour: 'succeed' },
  { token: 'pm_card_visa_debit', label: 'Visa debit 5556 (succeeds)', brand: 'visa', last4: '5556', funding: 'debit', country: 'US', behaviour: 'succeed' },
  { token: 'pm_card_amex', label: 'American Express 8431 (succeeds)', brand: 'amex', last4: '8431', funding: 'credit', country: 'US', behaviour: 'succeed' },
  { token: 'pm_card_chargeDeclined', label: 'Visa 0002 (declined)', brand: 'visa', last4: '0002', funding: 'credit', country: 'US', behaviour: 'decline', declineCode: 'generic_decline', declineMessage: DECLINED },
  { token: 'pm_card_chargeDeclinedInsufficientFunds', label: 'Visa 9995 (insufficient funds)', brand: 'visa', last4: '9995', funding: 'credit', country: 'US', behaviour: 'decline', declineCode: 'insufficient_funds', declineMessage: 'Your card has insufficient funds.' },
  { token: 'pm_card_chargeCustomerFail', label: 'Visa 0341 (saves, charges fail)', brand: 'visa', last4: '0341', funding: 'credit', country: 'US', behaviour: 'charge_fail', declineCode: 'generic_decline', declineMessage: DECLINED },
  { token: 'pm_card_authenticationRequired', label: 'Visa 3184 (always requires authentication)', brand: 'visa', last4: '3184', funding: 'credit', country: 'DE', behaviour: 'auth_always' },
  { token: 'pm_card_authenticationRequiredOnSetup', label: 'Visa 3155 (authenticate once at setup)', brand: 'visa', last4: '3155', funding: 'credit', country: 'FR', behaviour: 'auth_unless_setup' },
  // Stripe's 4000 0000 0000 7726: the charge succeeds, a refund starts pending and later settles (refund.updated).
  { token: 'pm_card_pendingRefund', label: 'Visa 7726 (refunds start pending)', brand: 'visa', last4: '7726', funding: 'credit', country: 'US', behaviour: 'succeed', refundsPending: true },
];

const BY_TOKEN = new Map(TEST_CARDS.map((c) => [c.token, c]));

export function testCard(token: string): TestCard | undefined {
  return BY_TOKEN.get(token);
}
