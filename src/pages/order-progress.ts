/**
 * The lead sentence of the page that follows an order after Checkout. It is worked out from the
 * order's status, on the server and again on every poll, so it never says the card is still being
 * saved once the order is charging or paid.
 */
export function orderLead(status: string): string {
  switch (status) {
    case 'awaiting_signup':
      return 'Your card is being saved with Stripe. As soon as it is, we charge it for this purchase and reply to your post on X with a receipt.';
    case 'awaiting_details':
      return 'Your card is saved. This purchase ships: add an address the shop delivers to, and we charge your card and reply with a receipt.';
    case 'in_review':
      return 'Your card is saved. The shop checks this order before it is charged; we reply to your post on X when it decides.';
    case 'paid':
      return 'Your card is saved and this purchase is paid. Your receipt is a reply to your post on X.';
    case 'refunded':
    case 'partially_refunded':
      return 'This purchase was paid and the merchant has refunded it to your card.';
    case 'requires_action':
      return 'Your card is saved, but your bank wants you to confirm this payment: open the link in our reply on X.';
    case 'failed':
    case 'sold_out':
    case 'expired':
    case 'canceled':
      return 'This purchase did not go through and you have not been charged for it. Our reply on X says what happened.';
    default:
      return 'Your card is saved. We charge it for this purchase and reply to your post on X with a receipt.';
  }
}
