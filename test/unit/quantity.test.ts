import { parseQuantity } from '../../src/posts/quantity';

describe('parseQuantity', () => {
  it.each([
    ['@shop #BuyBlueMug', 1],
    ['@shop #BuyBlueMug x2', 2],
    ['@shop #buybluemug X3 please', 3],
    ['@shop #BuyBlueMug ×4', 4],
    ['@shop #BuyBlueMug x 5', 5],
    ['@shop 2 #BuyBlueMug', 2],
    ['@shop 2x #BuyBlueMug', 2],
    ['@shop #BuyBlueMug 3x', 3],
    ['I have 3 cats. @shop #BuyBlueMug', 1],
    ['@shop #BuyBlueMug https://t.co/x2abc', 1],
    ['@shop #BuyBlueMug! love it', 1],
    ['@shop #BuyBlueMug *2', 2],
    ['@shop #BuyBlueMug x2!', 2],
    ['@shop #BuyBlueMug x9999', 9999],
    ['@shop #BuyBlueMug 3 x', 3],
    ['@shop 2 x #BuyBlueMug', 2],
    ['@shop 2× #BuyBlueMug', 2],
    ['@shop #BuyBlueMug xoxo', 1],
    ['@shop #BuyBlueMug×2', 2],
    ['@shop #BuyBlueMug*3', 3],
    ['@shop #BuyBlueMug, x2', 2],
  ])('%s → %i', (text, q) => {
    expect(parseQuantity(text, 'BuyBlueMug')).toEqual({ kind: 'ok', quantity: q });
  });

  it.each([
    '@shop #BuyBlueMug x0',
    '@shop #BuyBlueMug x1.5',
    '@shop #BuyBlueMug x-1',
    '@shop 2 #BuyBlueMug x3',
    '@shop #BuyBlueMug x2 and #BuyBlueMug x5',
    '@shop #BuyBlueMug x99999',
    // Outside the grammar: a sign, an exponent, a decimal, fullwidth digits, a bare number after the tag.
    '@shop #BuyBlueMug -1',
    '@shop #BuyBlueMug 1e9',
    '@shop #BuyBlueMug x1e9',
    '@shop #BuyBlueMug x２',
    '@shop #BuyBlueMug x１２',
    '@shop #BuyBlueMug 5',
    '@shop #BuyBlueMug 5 stars',
    '@shop #BuyBlueMug +2',
    '@shop #BuyBlueMug x+2',
    '@shop #BuyBlueMug x02',
    '@shop #BuyBlueMug x1,000',
    '@shop #BuyBlueMug x2abc',
    '@shop -1 #BuyBlueMug',
    '@shop ２ #BuyBlueMug',
    '@shop 1.5x #BuyBlueMug',
    '@shop #BuyBlueMug. 5',
    '@shop #BuyBlueMug×1e9',
    '@shop #BuyBlueMug-1',
  ])('%s is ambiguous, never guessed', (text) => {
    expect(parseQuantity(text, 'BuyBlueMug').kind).toBe('ambiguous');
  });

  it('does not read a longer hashtag as the product', () => {
    expect(parseQuantity('@shop #BuyBlueMugs x2', 'BuyBlueMug').kind).toBe('ambiguous');
  });
});
