import { MAX_QUERY_CHARS, MAX_RULE_CHARS, MAX_RULES, planRules, RULE_TAG, searchQueries } from '../../../src/ingest/rules';
import { compareIds, maxId, snowflakeAt } from '../../../src/ingest/ids';

const tag = (i: number, len = 12) => `Tag${String(i).padStart(len - 3, '0')}`;

describe('rule planning (pure)', () => {
  it('no products: no rules, and deletes only our own stale rules', () => {
    const plan = planRules([{ id: '1', value: '#Old @shop -is:retweet -is:quote', tag: RULE_TAG }, { id: '2', value: '#X', tag: 'theirs' }, { id: '3', value: '#Y' }], [], 'shop');
    expect(plan).toEqual({ add: [], remove: ['1'], dropped: [], cancel: null, total: 0 });
  });

  it('ORs hashtags, mention only when required, dedupes case-insensitively', () => {
    expect(planRules([], ['BuyRedMug', 'BuyBlueMug', 'buybluemug'], 'shop').add).toEqual(['(#BuyBlueMug OR #BuyRedMug) @shop -is:retweet -is:quote']);
    expect(planRules([], ['BuyRedMug'], null).add).toEqual(['#BuyRedMug -is:retweet -is:quote']);
  });

  it('keeps rules still right, adds only what is new, replaces rules after the mention setting changed', () => {
    const existing = [{ id: '7', value: '(#A1 OR #B1) @shop -is:retweet -is:quote', tag: RULE_TAG }];
    expect(planRules(existing, ['A1', 'B1', 'C1'], 'shop')).toMatchObject({ add: ['#C1 @shop -is:retweet -is:quote'], remove: [], total: 2 });
    expect(planRules(existing, ['A1'], 'shop')).toMatchObject({ add: ['#A1 @shop -is:retweet -is:quote'], remove: ['7'] });
    expect(planRules(existing, ['A1', 'B1'], null)).toMatchObject({ add: ['(#A1 OR #B1) -is:retweet -is:quote'], remove: ['7'] });
  });

  it('splits at 1,024 characters and refuses beyond 1,000 rules', () => {
    const many = Array.from({ length: 200 }, (_, i) => tag(i));
    const plan = planRules([], many, 'shop');
    expect(plan.add.length).toBeGreaterThan(1);
    for (const v of plan.add) expect(v.length).toBeLessThanOrEqual(MAX_RULE_CHARS);
    expect(plan.add.join(' ').match(/#Tag/g)).toHaveLength(200);

    const huge = Array.from({ length: 12_000 }, (_, i) => tag(i, 100));
    const capped = planRules([], huge, 'shop');
    expect(capped.add).toHaveLength(MAX_RULES);
    expect(capped.dropped.length).toBeGreaterThan(0);
    expect(capped.dropped.length + capped.add.join(' ').match(/#Tag/g)!.length).toBe(12_000);
  });

  it('repacks when incremental changes left far more rules than needed', () => {
    const existing = Array.from({ length: 30 }, (_, i) => ({ id: String(i), value: `#${tag(i)} @shop -is:retweet -is:quote`, tag: RULE_TAG }));
    const plan = planRules(existing, existing.map((_, i) => tag(i)), 'shop');
    expect(plan.total).toBe(1);
    expect(plan.remove).toHaveLength(30);
  });

  it('search queries stay within 512 characters and cover every hashtag', () => {
    const qs = searchQueries(Array.from({ length: 100 }, (_, i) => tag(i)), 'shop');
    expect(qs.length).toBeGreaterThan(1);
    for (const q of qs) expect(q.length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
    expect(qs.join(' ').match(/#Tag/g)).toHaveLength(100);
  });
});

describe('post ids', () => {
  it('compare numerically', () => {
    expect(compareIds('999', '1000')).toBeLessThan(0);
    expect(maxId('1999999999999999999', '999999999999999999')).toBe('1999999999999999999');
    expect(maxId(null, '5')).toBe('5');
  });

  it('snowflakeAt gives a since_id just below ids minted at that moment', () => {
    const t = Date.parse('2026-01-01T00:00:00Z');
    const id = BigInt(snowflakeAt(t));
    expect(Number((id >> 22n) + 1288834974657n)).toBe(t);
  });
});
