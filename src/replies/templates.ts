/**
 * Reply texts. Each fits in 280 characters (X counts any URL as 23) and names the order and
 * product where there is one; none mentions card or address details.
 */
import { inertFields, inertText, postableLink } from './inert';

export type ReplyKind =
  | 'receipt' | 'signup' | 'sold_out' | 'declined' | 'action_required' | 'how_to_buy'
  | 'too_many' | 'failed' | 'spending_limit' | 'refunded' | 'amount_too_large' | 'fulfilled' | 'canceled' | 'address_needed'
  // A buyer's #cancel post: canceled (or refunded), too late, not theirs, no order named, a charge in flight.
  | 'cancel_confirmed' | 'cancel_window_closed' | 'cancel_refused' | 'how_to_cancel' | 'cancel_retry' | 'cancel_failed'
  // A post for a product with variants that does not say which one.
  | 'which_variant'
  // Merchant controls (issue 15): the sale is paused (once per buyer), the merchant's review rejected the order.
  | 'sale_paused' | 'order_rejected'
  // The waitlist (joined; promoted without a card) and the #confirm step (asked; too late).
  | 'waitlisted' | 'promoted' | 'confirm_request' | 'confirm_expired';

/**
 * X lets the shop post about 100 times per 15 minutes, so replies are spent in this order (lower
 * goes first; BullMQ priority): what a buyer must act on, receipts, waitlist promotions,
 * cancellations and refunds, then the rest, and waitlist and sold-out notices last: those are
 * the ones a public notice may cover (see NOTICE_KINDS).
 */
export const REPLY_TIER = { actionNeeded: 1, receipt: 2, promotion: 3, cancellation: 4, information: 5, notice: 10 } as const;

export const REPLY_PRIORITY: Record<ReplyKind, number> = {
  signup: REPLY_TIER.actionNeeded, confirm_request: REPLY_TIER.actionNeeded, action_required: REPLY_TIER.actionNeeded,
  address_needed: REPLY_TIER.actionNeeded, declined: REPLY_TIER.actionNeeded, spending_limit: REPLY_TIER.actionNeeded,
  receipt: REPLY_TIER.receipt,
  promoted: REPLY_TIER.promotion,
  canceled: REPLY_TIER.cancellation, refunded: REPLY_TIER.cancellation, failed: REPLY_TIER.cancellation,
  cancel_confirmed: REPLY_TIER.cancellation, cancel_failed: REPLY_TIER.cancellation, cancel_retry: REPLY_TIER.cancellation,
  cancel_window_closed: REPLY_TIER.cancellation,
  fulfilled: REPLY_TIER.information, too_many: REPLY_TIER.information, how_to_buy: REPLY_TIER.information,
  amount_too_large: REPLY_TIER.information, cancel_refused: REPLY_TIER.information, how_to_cancel: REPLY_TIER.information,
  which_variant: REPLY_TIER.information, sale_paused: REPLY_TIER.information,
  order_rejected: REPLY_TIER.cancellation, confirm_expired: REPLY_TIER.cancellation,
  waitlisted: REPLY_TIER.notice, sold_out: REPLY_TIER.notice,
};

/** How long a buyer has to answer #confirm (Amex Sync's window). */
export const CONFIRM_WINDOW_MINUTES = 15;

/** Notices nobody must act on: when X's budget cannot post them all soon, one public notice per product covers them. */
export const NOTICE_KINDS = ['sold_out', 'waitlisted'] as const satisfies readonly ReplyKind[];

// Building an Intl.NumberFormat costs far more than using one; a flash sale formats thousands.
const formatters = new Map<string, { fmt: Intl.NumberFormat; digits: number }>();

export function formatMoney(amount: number, currency: string): string {
  const upper = currency.toUpperCase();
  let f = formatters.get(upper);
  if (!f) {
    const fmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: upper });
    f = { fmt, digits: fmt.resolvedOptions().maximumFractionDigits ?? 2 };
    formatters.set(upper, f);
  }
  return f.fmt.format(amount / 10 ** f.digits);
}

export interface ReplyContext {
  orderId?: string;
  product?: string;
  quantity?: number;
  amount?: number;
  currency?: string;
  url?: string;
  hashtag?: string;
  shop?: string;
  maxPerOrder?: number;
  /** The most one payment can carry (minor units). */
  maxAmount?: number;
  /** Shipping, as the merchant gave it (merchant text: made inert; the link only if postableLink allows it). */
  carrier?: string;
  trackingNumber?: string;
  trackingUrl?: string;
  /** A product's choices, an example choice and a guess at what was meant (merchant text: made inert). */
  choices?: string;
  example?: string;
  suggestion?: string;
  /** Why the merchant rejected an order (merchant text: made inert). */
  reason?: string;
  /** A waitlisted order's place in line (1 = next). */
  position?: number;
}

const X_URL_LENGTH = 23;

function clip(name: string, max = 60): string {
  return [...name].length > max ? `${[...name].slice(0, max - 1).join('')}…` : name;
}

export function renderReply(kind: ReplyKind, context: ReplyContext): string {
  // Merchant text is made inert once, here, whatever the kind: the shop's posts carry only our entities.
  const c = inertFields(context);
  const item = c.product ? `${c.quantity && c.quantity > 1 ? `${c.quantity} × ` : ''}${clip(c.product)}` : 'your order';
  const price = c.amount !== undefined && c.currency ? ` (${formatMoney(c.amount, c.currency)})` : '';
  switch (kind) {
    case 'receipt':
      return `Paid: ${item}${price}. Order ${c.orderId}. Thank you! Your receipt is this reply; the merchant will be in touch about delivery.`;
    case 'signup':
      return `Almost there! To buy ${item}${price}, link a card once (takes a minute; the link works for 24 h): ${c.url}`;
    case 'sold_out':
      return `Sorry, ${item} is sold out. You have not been charged.`;
    case 'declined':
      return `Your card was declined for ${item}${price}, so order ${c.orderId} was not completed. Update your card here, then post again: ${c.url}`;
    case 'action_required':
      return `Your bank wants you to confirm the payment for ${item}${price}, order ${c.orderId}. Confirm within 24 h: ${c.url}`;
    case 'how_to_buy':
      return `To buy, post one product hashtag per post${c.shop ? ` and mention @${c.shop}` : ''}, e.g. ${c.shop ? `@${c.shop} ` : ''}#${c.hashtag ?? 'BuyItem'} — add x2 for two. Nothing was charged.`;
    case 'too_many':
      return `You can buy at most ${c.maxPerOrder} of ${clip(c.product ?? 'this item')} per post. Post again with a smaller quantity; nothing was charged.`;
    case 'amount_too_large':
      return `${item}${price} is more than can be charged in one payment (at most ${formatMoney(c.maxAmount ?? 0, c.currency ?? 'usd')}). Post again with a smaller quantity; nothing was charged.`;
    case 'failed':
      return `We could not complete order ${c.orderId} for ${item}. You have not been charged.`;
    case 'spending_limit':
      return `Order for ${item}${price} not placed: it would go past the daily spending limit you set. Change it here: ${c.url}`;
    case 'refunded':
      return `Order ${c.orderId} for ${item} was refunded${price}.`;
    case 'fulfilled':
      return shipped(c.orderId, item, c);
    case 'canceled':
      return `The shop canceled order ${c.orderId} for ${item}. You have not been charged.`;
    case 'cancel_confirmed':
      return c.amount !== undefined && c.amount > 0
        ? `Canceled: order ${c.orderId} for ${item}. ${formatMoney(c.amount, c.currency ?? 'usd')} is on its way back to your card.`
        : `Canceled: order ${c.orderId} for ${item}. You have not been charged.`;
    case 'cancel_window_closed':
      return `Order ${c.orderId} can no longer be canceled here: the time to cancel has passed or it has shipped. To reach the shop, see your account: ${c.url}`;
    case 'cancel_refused':
      return 'Only the account that placed an order can cancel it.';
    case 'how_to_cancel':
      return `To cancel an order, reply #cancel to its receipt${c.shop ? `, or post @${c.shop} #cancel with the order number` : ''}.`;
    case 'cancel_failed':
      return `Order ${c.orderId} for ${item} could not be refunded automatically. The shop has been told and will sort it out with you.`;
    case 'cancel_retry':
      return `Order ${c.orderId} is being charged right now. Reply #cancel again in a minute to cancel it.`;
    case 'which_variant':
      return whichVariant(c);
    case 'sale_paused':
      return `Sales of ${item} are paused right now. Nothing was charged; your post is kept until the shop resumes the sale or closes it.`;
    case 'order_rejected': {
      const why = c.reason ? clip(inertText(c.reason), 120) : '';
      return `The shop did not accept order ${c.orderId} for ${item}${why ? `: ${why}` : ''}. You have not been charged.`;
    }
    case 'waitlisted':
      return `Sorry, ${item} is sold out for now. You are number ${c.position} on the waitlist: if a unit frees up it goes to the next in line and we reply here. Nothing has been charged.`;
    case 'promoted':
      return `Good news: a unit of ${item}${price} freed up and it is held for you, order ${c.orderId}. Link a card once (the link works for 24 h) and it completes by itself: ${c.url}`;
    case 'confirm_request':
      return `Reply #confirm within ${CONFIRM_WINDOW_MINUTES} minutes to buy ${item}${price}, order ${c.orderId}. Your unit is held until then; nothing has been charged yet.`;
    case 'confirm_expired':
      return `Order ${c.orderId} for ${item} was not confirmed within ${CONFIRM_WINDOW_MINUTES} minutes, so it lapsed and the unit went back. You have not been charged.`;
    case 'address_needed':
      return `Where should ${item}${price} go? Add a shipping address the shop delivers to within 24 h and order ${c.orderId} completes by itself: ${c.url}`;
  }
}

/** "On its way", with what the merchant gave that fits: the tracking number goes first if it must. */
function shipped(orderId: string | undefined, item: string, c: ReplyContext): string {
  const carrier = c.carrier ? clip(inertText(c.carrier), 40) : '';
  const number = c.trackingNumber ? clip(inertText(c.trackingNumber), 40) : '';
  const link = c.trackingUrl ? postableLink(c.trackingUrl) : undefined;
  const render = (withNumber: boolean) =>
    `On its way: ${item}, order ${orderId}, has shipped${carrier ? ` with ${carrier}` : ''}${withNumber && number ? ` (tracking number ${number})` : ''}.` +
    `${link ? ` Track it: ${link}` : ''}`;
  const full = render(true);
  return xLength(full) <= 280 ? full : render(false);
}

/**
 * "Which one?": the choices are clipped to what fits beside the rest; with a long product name and
 * hashtag, the guess and then the example give way first.
 */
function whichVariant(c: ReplyContext): string {
  const choices = c.choices ? inertText(c.choices) : '';
  const example = c.example ? clip(inertText(c.example), 40) : '';
  const suggestion = c.suggestion ? clip(inertText(c.suggestion), 40) : '';
  const render = (listed: string, guess: string, eg: string) =>
    `Which one?${guess ? ` Did you mean ${guess}?` : ''} ${clip(c.product ?? 'This item')} comes in ${listed}. ` +
    `Post again with your choice, e.g. ${c.shop ? `@${c.shop} ` : ''}#${c.hashtag ?? 'BuyItem'}${eg ? ` ${eg}` : ''}. Nothing was charged.`;
  for (const [guess, eg] of [[suggestion, example], ['', example], ['', '']] as const) {
    const room = 280 - xLength(render('', guess, eg));
    if (room >= Math.min(xLength(choices), 20)) return render(xLength(choices) <= room ? choices : clip(choices, room), guess, eg);
  }
  return render(clip(choices, Math.max(280 - xLength(render('', '', '')), 2)), '', '');
}

/** Length as X counts it: every URL is 23 characters. */
export function xLength(text: string): number {
  return [...text.replace(/https?:\/\/\S+/g, 'u'.repeat(X_URL_LENGTH))].length;
}
