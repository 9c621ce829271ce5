import { z } from 'zod';

/**
 * When an order is held for the merchant's review before it is charged (issue 15). Pure: the
 * matcher evaluates it under its locks with facts read before the transaction.
 */
export const reviewRulesSchema = z
  .strictObject({
    account_younger_than_days: z.number().int('must be a whole number of days').min(1, 'must be at least 1').max(3650, 'must be at most 3650').optional()
      .meta({ description: "Hold when the buyer's X account was created fewer than this many days ago" }),
    followers_fewer_than: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000_000).optional()
      .meta({ description: "Hold when the buyer's X account has fewer followers than this" }),
    orders_per_hour_above: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000).optional()
      .meta({ description: 'Hold when the buyer places more than this many orders with you within an hour (this one included)' }),
    amount_above: z.number().int('must be in minor units').min(0, 'must be 0 or more').max(99_999_999_999).optional()
      .meta({ description: "Hold when the order's total (minor units, the product's currency) is above this" }),
    window_hours: z.number().int('must be a whole number of hours').min(1, 'must be at least 1').max(720, 'must be at most 720 (30 days)').default(24)
      .meta({ description: 'How long an order waits for your decision' }),
    on_window_expiry: z.enum(['approve', 'reject']).default('reject')
      .meta({ description: 'What happens to an order nobody decided on within the window' }),
  })
  .meta({ id: 'ReviewRules' });
export type ReviewRules = z.infer<typeof reviewRulesSchema>;

/** What X said about the buyer; undefined when X could not be asked (the order is then held: fail safe). */
export interface AccountFacts {
  createdAt: Date | null;
  followersCount: number | null;
}

export const REVIEW_REASONS = ['new_account', 'few_followers', 'frequent_buyer', 'large_amount', 'account_facts_unavailable'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

/** Rules that need X's user look-up (the rest use our own records). */
export function needsAccountFacts(rules: ReviewRules | null): boolean {
  return Boolean(rules && (rules.account_younger_than_days !== undefined || rules.followers_fewer_than !== undefined));
}

/** Why the order is held (empty: it is not). `ordersThisHour` counts this order too. */
export function reviewReasons(
  rules: ReviewRules | null, o: { facts: AccountFacts | undefined; ordersThisHour: number; amount: number; now: Date },
): ReviewReason[] {
  if (!rules) return [];
  const reasons: ReviewReason[] = [];
  if (needsAccountFacts(rules)) {
    const facts = o.facts;
    if (!facts) reasons.push('account_facts_unavailable');
    else {
      if (rules.account_younger_than_days !== undefined) {
        const young = !facts.createdAt || o.now.getTime() - facts.createdAt.getTime() < rules.account_younger_than_days * 86_400_000;
        if (young) reasons.push('new_account');
      }
      if (rules.followers_fewer_than !== undefined && (facts.followersCount === null || facts.followersCount < rules.followers_fewer_than)) {
        reasons.push('few_followers');
      }
    }
  }
  if (rules.orders_per_hour_above !== undefined && o.ordersThisHour > rules.orders_per_hour_above) reasons.push('frequent_buyer');
  if (rules.amount_above !== undefined && o.amount > rules.amount_above) reasons.push('large_amount');
  return reasons;
}

/** Stored rules (jsonb, written through the schema) read back with their defaults. */
export function storedRules(value: unknown): ReviewRules | null {
  if (value === null || value === undefined) return null;
  const parsed = reviewRulesSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
