import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import type { XAccountFacts } from '../x/x.port';
import { needsAccountFacts, storedRules, type AccountFacts } from './review-rules';

/** X's user look-up, as the review rules need it. */
export interface AccountFactsPort {
  accountFacts(xUserIds: string[]): Promise<Map<string, XAccountFacts | null>>;
}

export interface AccountFactsSource {
  /**
   * Facts for the authors of posts naming these hashtags, when a live product among them (or its
   * merchant's default) has a rule that needs them: from the cache, else from X once per buyer.
   * An author X could not be asked about is left out (the rules then hold the order).
   */
  factsFor(authorIds: string[], hashtagKeys: string[]): Promise<Map<string, AccountFacts>>;
}

export function createAccountFactsSource(d: { db: Db; x: AccountFactsPort; log: Logger }): AccountFactsSource {
  return {
    async factsFor(authorIds, hashtagKeys) {
      const facts = new Map<string, AccountFacts>();
      if (!authorIds.length || !hashtagKeys.length) return facts;
      const { rows: rules } = await d.db.query<{ own: unknown; fallback: unknown }>(
        `SELECT p.review_rules AS own, m.review_rules AS fallback FROM products p JOIN merchants m ON m.id = p.merchant_id
         WHERE p.hashtag_key = ANY($1) AND p.status = 'active' AND (p.review_rules IS NOT NULL OR m.review_rules IS NOT NULL)`,
        [hashtagKeys],
      );
      if (!rules.some((r) => needsAccountFacts(storedRules(r.own) ?? storedRules(r.fallback)))) return facts;
      const { rows: cached } = await d.db.query<{ x_user_id: string; account_created_at: Date | null; followers_count: number | null }>(
        'SELECT x_user_id, account_created_at, followers_count FROM x_account_facts WHERE x_user_id = ANY($1)',
        [authorIds],
      );
      for (const c of cached) facts.set(c.x_user_id, { createdAt: c.account_created_at, followersCount: c.followers_count });
      const missing = authorIds.filter((id) => !facts.has(id));
      if (!missing.length) return facts;
      let answered: Map<string, XAccountFacts | null>;
      try {
        // One request per 100 buyers: X's user look-up is limited per 15 minutes.
        answered = await d.x.accountFacts(missing);
      } catch (err) {
        d.log.warn({ buyers: missing.length, err: (err as Error).message }, 'X user look-up failed; review rules that need it hold the orders');
        return facts;
      }
      // X knows no such account: nothing to trust about it (held by the rules that need facts).
      const fetched = missing.map((id) => ({ id, facts: answered.get(id) ?? { createdAt: null, followersCount: null } }));
      for (const f of fetched) facts.set(f.id, f.facts);
      await d.db.query(
        `INSERT INTO x_account_facts (x_user_id, account_created_at, followers_count)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::integer[]) ON CONFLICT (x_user_id) DO NOTHING`,
        [fetched.map((f) => f.id), fetched.map((f) => f.facts.createdAt), fetched.map((f) => f.facts.followersCount)],
      );
      return facts;
    },
  };
}
