import twitter from 'twitter-text';
import { postsWithin, productsToCover, renderPublicNotice, X_POST_WINDOW_MS } from '../../src/replies/public-notices';
import { xLength } from '../../src/replies/templates';

const now = 1_800_000_000_000;

describe('the budget X leaves within 15 minutes', () => {
  it('is what is left of this window plus the next window when it opens within the 15 minutes', () => {
    expect(postsWithin({ limit: 100, remaining: 40, resetAt: now + 5 * 60_000 }, now)).toBe(140);
    expect(postsWithin({ limit: 100, remaining: 0, resetAt: now + 14 * 60_000 }, now)).toBe(100);
  });

  it('is a fresh window when the last one X described has reset, and X documented limit when X said nothing', () => {
    expect(postsWithin({ limit: 100, remaining: 0, resetAt: now - 1 }, now)).toBe(200);
    expect(postsWithin(null, now)).toBe(200);
    expect(postsWithin({ limit: 5, remaining: 2, resetAt: now + X_POST_WINDOW_MS + 1 }, now)).toBe(2);
  });
});

describe('which products a public notice covers', () => {
  const notices = [{ productId: 'prod_a', pending: 1200 }, { productId: 'prod_b', pending: 40 }, { productId: 'prod_c', pending: 1 }];

  it('none when every reply fits the budget', () => {
    expect(productsToCover(10, [{ productId: 'prod_a', pending: 50 }], 100)).toEqual([]);
  });

  it('the products with the most notices first, until the rest fits; one post each counted', () => {
    expect(productsToCover(50, notices, 100)).toEqual(['prod_a']);
    expect(productsToCover(90, notices, 100)).toEqual(['prod_a', 'prod_b']);
  });

  it('never a product with a single notice (its reply costs the same post)', () => {
    expect(productsToCover(500, notices, 100)).toEqual(['prod_a', 'prod_b']);
  });
});

describe('the public notice', () => {
  const url = 'https://shop.example.com/p/prod_abc123';

  it('counts the people waiting when there is a waitlist, else the posts after the last unit', () => {
    expect(renderPublicNotice({ name: 'Blue Mug', waitlisted: 37, soldOut: 5 }, url))
      .toBe(`Blue Mug is sold out. 37 people are waiting in post order; if a unit frees up, the next in line gets it. Your place: ${url}`);
    expect(renderPublicNotice({ name: 'Blue Mug', waitlisted: 0, soldOut: 1950 }, url))
      .toBe(`Blue Mug is sold out. 1950 posts came after the last unit; nobody was charged for them. Counts: ${url}`);
  });

  it('carries no mention, hashtag or link of the merchant, and fits in a post', () => {
    const text = renderPublicNotice({ name: `@evil #Free $TSLA evil.com ${'x'.repeat(300)}`, waitlisted: 2, soldOut: 0 }, url);
    expect(twitter.extractMentions(text)).toEqual([]);
    expect(twitter.extractHashtags(text)).toEqual([]);
    expect(twitter.extractCashtags(text)).toEqual([]);
    expect(twitter.extractUrls(text)).toEqual([url]);
    expect(xLength(text)).toBeLessThanOrEqual(280);
  });
});
