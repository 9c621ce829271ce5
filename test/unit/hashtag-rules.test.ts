import { hashtagKey, hashtagProblem, hashtagSkeleton } from '../../src/products/hashtag';
import { parseQuantity } from '../../src/posts/quantity';

/** The eleven look-alikes of #BuyBlueMug a review registered as a second merchant. */
const LOOK_ALIKES: Array<[string, string]> = [
  ['capital I for l', 'BuyBIueMug'],
  ['Cyrillic е (U+0435)', 'BuyBlu\u0435Mug'],
  ['Cyrillic у (U+0443)', 'Bu\u0443BlueMug'],
  ['Greek Β (U+0392)', 'Buy\u0392lueMug'],
  ['digit 1 for l', 'BuyB1ueMug'],
  ['dotted İ (U+0130) for l', 'BuyB\u0130ueMug'],
  ['combining acute accent', 'BuyBlue\u0301Mug'],
  ['invisible U+034F suffix', 'BuyBlueMug\u034F'],
  ['invisible U+FE0F suffix', 'BuyBlueMug\uFE0F'],
  ['invisible U+180B suffix', 'BuyBlueMug\u180B'],
  ['invisible U+3164 suffix', 'BuyBlueMug\u3164'],
  ['invisible U+115F suffix', 'BuyBlueMug\u115F'],
];

const INVISIBLES = ['\u034F', '\uFE0F', '\uFE00', '\u180B', '\u3164', '\u115F', '\u1160', '\uFFA0', '\u200D', '\u{E0100}'];

describe('hashtag look-alikes', () => {
  it.each(LOOK_ALIKES)('%s looks like #BuyBlueMug', (_what, tag) => {
    expect(hashtagSkeleton(tag)).toBe(hashtagSkeleton('BuyBlueMug'));
  });

  it.each([
    ['case and width', 'ｂｕｙｂｌｕｅｍｕｇ', 'BuyBlueMug'],
    ['all capitals', 'BUYBLUEMUG', 'BuyBlueMug'],
    ['precomposed accent', 'Caf\u00e9', 'Cafe'],
    ['Cyrillic word', '\u041a\u043e\u0444\u0435', '\u041a\u043e\u0444\u0435'],
    ['O and 0', 'Sale2O24', 'Sale2024'],
    ['rn and m', 'BuyBlueRnug', 'BuyBlueMug'],
  ])('%s: %s looks like %s', (_what, a, b) => {
    expect(hashtagSkeleton(a)).toBe(hashtagSkeleton(b));
  });

  it.each([
    ['BuyBlueMug', 'BuyBlueMugs'],
    ['BuyBlueMug', 'BuyRedMug'],
    ['BuyBlueMug', 'BuyBlueMug2'],
    ['BuyBlueMug', 'BuyBlue_Mug'],
    ['BuyMilk', 'BuyMilky'],
    ['Sale2024', 'Sale2025'],
    ['\u041a\u043e\u0444\u0435', 'Kofe'],
    ['\u5496\u5561', '\u5496\u5564'],
    ['BuyTee', 'BuyTea'],
  ])('%s and %s stay distinct', (a, b) => {
    expect(hashtagSkeleton(a)).not.toBe(hashtagSkeleton(b));
  });
});

describe('invisible characters', () => {
  it.each(INVISIBLES.map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, c]))('%s is refused in a hashtag', (_cp, c) => {
    expect(hashtagProblem(`BuyBlue${c}Mug`)).toMatch(/invisible/);
    expect(hashtagProblem(`BuyBlueMug${c}`)).toMatch(/invisible/);
  });

  it.each(INVISIBLES)('a post carrying %j matches the plain hashtag', (c) => {
    expect(hashtagKey(`#BuyBlueMug${c}`)).toBe(hashtagKey('BuyBlueMug'));
    expect(hashtagKey(`#Buy${c}BlueMug`)).toBe('buybluemug');
    expect(parseQuantity(`@shop #BuyBlueMug${c} x2`, 'BuyBlueMug')).toEqual({ kind: 'ok', quantity: 2 });
  });

  it('still accepts letters and marks of every script', () => {
    for (const tag of ['BuyBlueMug', 'Caf\u00e9', 'Cafe\u0301', '\u041a\u043e\u0444\u0435', '\u0915\u093f\u0924\u093e\u092c', '\u5496\u5561', '\ud55c\uad6d']) {
      expect(hashtagProblem(tag)).toBeNull();
    }
  });
});
