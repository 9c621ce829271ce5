import { needsConfirmation, unitsFreeForNewPosts, waitlistPlace } from '../../src/waitlist/rules';

describe('waitlist rules', () => {
  it('joins while the waitlist is on and has room', () => {
    expect(waitlistPlace({ waitlist: true, waitlist_limit: null }, 10_000)).toBe('join');
    expect(waitlistPlace({ waitlist: true, waitlist_limit: 3 }, 2)).toBe('join');
    expect(waitlistPlace({ waitlist: true, waitlist_limit: 3 }, 3)).toBe('full');
    expect(waitlistPlace({ waitlist: false, waitlist_limit: null }, 0)).toBe('off');
  });

  it('a new post never overtakes anyone waiting', () => {
    expect(unitsFreeForNewPosts(null, 5)).toBeNull();
    expect(unitsFreeForNewPosts(4, 0)).toBe(4);
    expect(unitsFreeForNewPosts(4, 1)).toBe(0);
  });
});

describe('who must #confirm', () => {
  const product = (confirm: 'never' | 'first_purchase' | 'above_amount', above: number | null = null) => ({ confirm, confirm_above_amount: above });
  const facts = { alwaysConfirm: false, paidBefore: false };
  it.each([
    ['never', null, 5000, facts, false],
    ['never', null, 5000, { ...facts, alwaysConfirm: true }, true],
    ['first_purchase', null, 5000, facts, true],
    ['first_purchase', null, 5000, { ...facts, paidBefore: true }, false],
    ['above_amount', 5000, 5000, facts, false],
    ['above_amount', 5000, 5001, facts, true],
    ['above_amount', 0, 1, facts, true],
  ] as const)('%s (threshold %s), amount %s, %j → %s', (rule, above, amount, f, expected) => {
    expect(needsConfirmation(product(rule, above), amount, f)).toBe(expected);
  });
});
