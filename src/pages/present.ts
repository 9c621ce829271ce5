import { formatMoney } from '../replies/templates';

/** What a buyer reads for each order status: plain words, no codes. */
const LABELS: Record<string, { text: string; tone: 'ok' | 'bad' | 'wait' }> = {
  awaiting_signup: { text: 'Waiting for your card', tone: 'wait' },
  awaiting_details: { text: 'Waiting for your shipping address', tone: 'wait' },
  awaiting_confirmation: { text: 'Waiting for your confirmation', tone: 'wait' },
  waitlisted: { text: 'On the waitlist', tone: 'wait' },
  reserved: { text: 'Charging your card…', tone: 'wait' },
  in_review: { text: 'The shop is checking this order; you have not been charged yet', tone: 'wait' },
  charging: { text: 'Charging your card…', tone: 'wait' },
  requires_action: { text: 'Your bank wants you to confirm: see our reply on X', tone: 'bad' },
  paid: { text: 'Paid', tone: 'ok' },
  failed: { text: 'Payment failed: you have not been charged', tone: 'bad' },
  sold_out: { text: 'Sold out: you have not been charged', tone: 'bad' },
  expired: { text: 'Expired: you have not been charged', tone: 'bad' },
  refunded: { text: 'Refunded', tone: 'ok' },
  partially_refunded: { text: 'Partly refunded', tone: 'ok' },
  canceled: { text: 'Canceled', tone: 'bad' },
};

/** An order's status as the buyer's account lists it: who canceled, and whether money moved. */
export function orderLabel(o: { status: string; failure_code: string | null; paid_at: Date | null }): { text: string; tone: 'ok' | 'bad' | 'wait' } {
  if (o.status !== 'canceled') return statusLabel(o.status);
  const who = o.failure_code === 'canceled_by_merchant' || o.failure_code === 'rejected_in_review' ? 'Canceled by the shop' : 'Canceled';
  return { text: o.paid_at ? who : `${who}: you have not been charged`, tone: 'bad' };
}

const REFUND_LABELS: Record<string, string> = { pending: 'on its way', succeeded: 'done', failed: 'failed: the shop will be in touch' };
export const refundLabel = (status: string): string => REFUND_LABELS[status] ?? status;

/** Only an https tracking link is a link; anything else (never accepted by the API) is dropped. */
export function safeTrackingUrl(url: string | null): string | null {
  if (!url || !URL.canParse(url)) return null;
  return new URL(url).protocol === 'https:' ? url : null;
}

export function statusLabel(status: string): { text: string; tone: 'ok' | 'bad' | 'wait' } {
  return LABELS[status] ?? { text: status.replace(/_/g, ' '), tone: 'wait' };
}

export function money(amount: number, currency: string): string {
  return formatMoney(Number(amount), currency);
}

/** "2 × Blue Mug" or "Blue Mug". */
export function item(quantity: number, product: string): string {
  return quantity > 1 ? `${quantity} × ${product}` : product;
}

/** Minor units → the value shown in a number input ("25.00"), for a 2-decimal currency. */
export function toMajor(amount: number | null, currency: string): string {
  if (amount === null) return '';
  const digits = fractionDigits(currency);
  return (amount / 10 ** digits).toFixed(digits);
}

/** "25", "25.5", "25.50" → minor units; '' → null (no limit); anything else → undefined (invalid). */
export function parseMajor(input: string, currency: string): number | null | undefined {
  const v = input.trim();
  if (v === '') return null;
  const digits = fractionDigits(currency);
  const m = /^(\d{1,9})(?:[.,](\d+))?$/.exec(v);
  if (!m || (m[2] && m[2].length > digits)) return undefined;
  return Number(m[1]) * 10 ** digits + Number((m[2] ?? '').padEnd(digits, '0') || 0);
}

function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}
