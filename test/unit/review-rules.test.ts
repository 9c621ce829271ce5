import { needsAccountFacts, reviewReasons, reviewRulesSchema } from '../../src/review/review-rules';

// The review rules' edges: "younger than", "fewer than", "more than", "above" are strict.
const NOW = new Date('2026-12-07T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);
const rules = (r: Record<string, unknown>) => reviewRulesSchema.parse(r);
const facts = (createdDaysAgo: number, followers: number) => ({ createdAt: daysAgo(createdDaysAgo), followersCount: followers });

describe('review rules', () => {
  it('holds at the strict side of each threshold only', () => {
    const r = rules({ account_younger_than_days: 30, followers_fewer_than: 10, orders_per_hour_above: 2, amount_above: 5000 });
    const base = { facts: facts(30, 10), ordersThisHour: 2, amount: 5000, now: NOW };
    expect(reviewReasons(r, base)).toEqual([]);
    expect(reviewReasons(r, { ...base, facts: facts(29.9, 10) })).toEqual(['new_account']);
    expect(reviewReasons(r, { ...base, facts: facts(400, 9) })).toEqual(['few_followers']);
    expect(reviewReasons(r, { ...base, ordersThisHour: 3 })).toEqual(['frequent_buyer']);
    expect(reviewReasons(r, { ...base, amount: 5001 })).toEqual(['large_amount']);
    expect(reviewReasons(r, { facts: facts(1, 0), ordersThisHour: 9, amount: 9999, now: NOW })).toEqual(['new_account', 'few_followers', 'frequent_buyer', 'large_amount']);
  });

  it('holds when X could not say, but only under a rule that needs X', () => {
    expect(reviewReasons(rules({ followers_fewer_than: 5 }), { facts: undefined, ordersThisHour: 1, amount: 1, now: NOW })).toEqual(['account_facts_unavailable']);
    expect(reviewReasons(rules({ amount_above: 100 }), { facts: undefined, ordersThisHour: 1, amount: 1, now: NOW })).toEqual([]);
    expect(reviewReasons(rules({ account_younger_than_days: 1 }), { facts: { createdAt: null, followersCount: null }, ordersThisHour: 1, amount: 1, now: NOW })).toEqual(['new_account']);
    expect(needsAccountFacts(rules({ amount_above: 1 }))).toBe(false);
    expect(needsAccountFacts(null)).toBe(false);
  });

  it('no rules hold nothing; defaults fill the window', () => {
    expect(reviewReasons(null, { facts: undefined, ordersThisHour: 99, amount: 1e9, now: NOW })).toEqual([]);
    expect(rules({})).toEqual({ window_hours: 24, on_window_expiry: 'reject' });
  });
});
