import { CANCEL_RULE_TAG, MAX_RULES, planRules, RULE_TAG, ruleBudget, searchQueries } from '../../src/ingest/rules';

const CANCEL = '(#cancel OR #confirm) @shop -is:retweet -is:quote';

describe('the #cancel rule', () => {
  it('is planned with its own tag, addressed to the shop even when purchases need no mention', () => {
    expect(planRules([], ['BuyMug'], 'shop', 0, MAX_RULES, 'shop')).toMatchObject({ add: ['#BuyMug @shop -is:retweet -is:quote'], cancel: CANCEL, total: 2 });
    expect(planRules([], ['BuyMug'], null, 0, MAX_RULES, 'shop')).toMatchObject({ add: ['#BuyMug -is:retweet -is:quote'], cancel: CANCEL, total: 2 });
    // With no product at all, paid orders can still be canceled.
    expect(planRules([], [], 'shop', 0, MAX_RULES, 'shop')).toMatchObject({ add: [], cancel: CANCEL, remove: [], total: 1 });
  });

  it('is kept when it is there, replaced when it names another shop, and never taken for a product rule', () => {
    const existing = [
      { id: '1', value: CANCEL, tag: CANCEL_RULE_TAG },
      { id: '2', value: '#BuyMug @shop -is:retweet -is:quote', tag: RULE_TAG },
    ];
    expect(planRules(existing, ['BuyMug'], 'shop', 0, MAX_RULES, 'shop')).toMatchObject({ add: [], cancel: null, remove: [], total: 2 });
    const renamed = planRules(existing, ['BuyMug'], 'newshop', 0, MAX_RULES, 'newshop');
    expect(renamed).toMatchObject({ cancel: '(#cancel OR #confirm) @newshop -is:retweet -is:quote', remove: expect.arrayContaining(['1', '2']) });
    // A duplicate of it goes; without a shop it goes too.
    expect(planRules([...existing, { id: '3', value: CANCEL, tag: CANCEL_RULE_TAG }], ['BuyMug'], 'shop', 0, MAX_RULES, 'shop')).toMatchObject({ cancel: null, remove: ['3'] });
    expect(planRules(existing, ['BuyMug'], 'shop')).toMatchObject({ cancel: null, remove: ['1'], total: 1 });
  });

  it('takes one rule of the budget before products do, and the budget counts it', () => {
    expect(planRules([], ['A1', 'B1'], 'shop', 0, 1, 'shop')).toMatchObject({ add: [], cancel: CANCEL, dropped: ['A1', 'B1'], total: 1 });
    expect(ruleBudget(['A1'], 'shop', 2, 'shop')).toMatchObject({ hashtags: 1, rules: 2, chars: CANCEL.length + '#A1 @shop -is:retweet -is:quote'.length });
    expect(ruleBudget(['A1'], 'shop', 2)).toMatchObject({ rules: 1 });
  });

  it('polling searches for it too', () => {
    expect(searchQueries(['BuyMug'], 'shop', 'shop')).toEqual(['#BuyMug @shop -is:retweet -is:quote', CANCEL]);
    expect(searchQueries([], null, 'shop')).toEqual([CANCEL]);
  });
});
