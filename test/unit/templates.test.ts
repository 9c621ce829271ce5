import { formatMoney, renderReply, xLength, type ReplyKind } from '../../src/replies/templates';

const KINDS: ReplyKind[] = ['receipt', 'signup', 'sold_out', 'declined', 'action_required', 'how_to_buy', 'too_many', 'failed', 'spending_limit', 'refunded', 'amount_too_large',
  'cancel_confirmed', 'cancel_window_closed', 'cancel_refused', 'how_to_cancel', 'cancel_retry', 'sale_paused', 'order_rejected', 'waitlisted', 'promoted', 'confirm_request', 'confirm_expired'];

describe('reply templates', () => {
  it('formats money from minor units by the currency', () => {
    expect(formatMoney(1800, 'usd')).toBe('$18.00');
    expect(formatMoney(1800, 'jpy')).toBe('¥1,800');
    expect(formatMoney(1234, 'eur')).toBe('€12.34');
  });

  it.each(KINDS)('%s fits in 280 characters even with a long product name', (kind) => {
    const text = renderReply(kind, {
      orderId: 'ord_ABCDEFGHIJKLMNOPQRST', product: 'A'.repeat(200), quantity: 12, amount: 99_999_999, currency: 'usd',
      url: `https://checkout.example.com/link/tok_${'x'.repeat(200)}`, hashtag: 'B'.repeat(100), shop: 'shop_account_15', maxPerOrder: 3, position: 100_000,
    });
    expect(xLength(text)).toBeLessThanOrEqual(280);
    expect(text).not.toMatch(/undefined|null|NaN/);
  });

  it('a receipt names the order and the product, and never card details', () => {
    const text = renderReply('receipt', { orderId: 'ord_1', product: 'Blue Mug', quantity: 2, amount: 3600, currency: 'usd' });
    expect(text).toContain('ord_1');
    expect(text).toContain('2 × Blue Mug');
    expect(text).toContain('$36.00');
    expect(text).not.toMatch(/4242|visa|card/i);
  });
});
