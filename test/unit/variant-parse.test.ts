import { readVariant, withoutOptionWords, variantLabel, type ProductOption, type VariantChoice } from '../../src/variants/parse';
import { parseQuantity } from '../../src/posts/quantity';

const TEE: ProductOption[] = [
  { name: 'Size', values: [
    { value: 'S', synonyms: ['small'] }, { value: 'M', synonyms: ['medium'] }, { value: 'L', synonyms: ['large'] },
    { value: 'XL', synonyms: ['extra large'] },
  ] },
  { name: 'Colour', values: [{ value: 'black', synonyms: ['schwarz', 'noir'] }, { value: 'white', synonyms: ['weiß'] }] },
];
const TEE_VARIANTS: VariantChoice[] = ['S', 'M', 'L', 'XL'].flatMap((size) => ['black', 'white']
  .filter((colour) => !(size === 'XL' && colour === 'white'))
  .map((colour) => ({ id: `var_${size}_${colour}`, options: { Size: size, Colour: colour } })));

const SHOES: ProductOption[] = [{ name: 'Size', values: ['40', '41', '42', '43'].map((value) => ({ value, synonyms: [] })) }];
const SHOE_VARIANTS: VariantChoice[] = SHOES[0]!.values.map((v) => ({ id: `var_${v.value}`, options: { Size: v.value } }));

type Expected = string | { kind: 'missing'; missing: string[]; suggestions?: string[] } | { kind: 'ambiguous'; option: string } | { kind: 'unavailable' };

const TABLE: Array<[string, string, Expected]> = [
  // sizes and colours, any order, any case
  ['size and colour', '@shop #BuyTee M black', 'var_M_black'],
  ['colour first', '@shop #BuyTee black m', 'var_M_black'],
  ['upper case colour', '@shop #BuyTee L WHITE', 'var_L_white'],
  ['words before the hashtag', '@shop M white #BuyTee', 'var_M_white'],
  ['punctuation around the words', '@shop #BuyTee (M), black!', 'var_M_black'],
  // synonyms, multi-word synonyms win over their last word
  ['synonyms', '@shop #BuyTee medium schwarz', 'var_M_black'],
  ['multi-word synonym', '@shop #BuyTee extra large black', 'var_XL_black'],
  // unicode: full-width letters (NFKC), ß folding, invisible characters
  ['full-width letters', '@shop #BuyTee Ｍ ｂｌａｃｋ', 'var_M_black'],
  ['full-width comma between words', '@shop #BuyTee Ｍ，ｂｌａｃｋ！', 'var_M_black'],
  ['sharp s folds to ss', '@shop #BuyTee S WEISS', 'var_S_white'],
  ['sharp s as typed', '@shop #BuyTee s weiß', 'var_S_white'],
  ['invisible characters ignored', '@shop #BuyTee M bl\u200Back', 'var_M_black'],
  ['synonym in capitals', '@shop #BuyTee M NOIR', 'var_M_black'],
  // one value left open but only one variant has it
  ['XL only comes in black', '@shop #BuyTee XL', 'var_XL_black'],
  // extra words and quantities mixed in
  ['extra words', '@shop love it! #BuyTee in M please, black one', 'var_M_black'],
  ['quantity mixed in', '@shop #BuyTee x2 M black', 'var_M_black'],
  ['quantity before', '@shop 2x #BuyTee M black', 'var_M_black'],
  // missing
  ['nothing named', '@shop #BuyTee', { kind: 'missing', missing: ['Size', 'Colour'] }],
  ['colour missing', '@shop #BuyTee M', { kind: 'missing', missing: ['Colour'] }],
  ['typo gets a suggestion', '@shop #BuyTee M blak', { kind: 'missing', missing: ['Colour'], suggestions: ['black'] }],
  ['mentions and hashtags are not option words', '@black #M #BuyTee', { kind: 'missing', missing: ['Size', 'Colour'] }],
  ['a value inside a word does not count', '@shop #BuyTee Mblack', { kind: 'missing', missing: ['Size', 'Colour'] }],
  // ambiguous, unavailable
  ['two sizes', '@shop #BuyTee M L black', { kind: 'ambiguous', option: 'Size' }],
  ['two colours via synonym', '@shop #BuyTee M noir white', { kind: 'ambiguous', option: 'Colour' }],
  ['combination not offered', '@shop #BuyTee XL white', { kind: 'unavailable' }],
];

describe('reading the variant from a post', () => {
  it.each(TABLE)('%s: %s', (_name, text, expected) => {
    const reading = readVariant(text, TEE, TEE_VARIANTS);
    if (typeof expected === 'string') expect(reading).toMatchObject({ kind: 'ok', variantId: expected });
    else expect(reading).toMatchObject(expected);
  });

  it('same value twice is not ambiguous', () => {
    expect(readVariant('#BuyTee M medium black', TEE, TEE_VARIANTS)).toMatchObject({ kind: 'ok', variantId: 'var_M_black' });
  });

  it('a product with one variant needs no words', () => {
    expect(readVariant('#BuyTee', TEE, [TEE_VARIANTS[0]!])).toMatchObject({ kind: 'ok', variantId: TEE_VARIANTS[0]!.id });
  });
});

describe('variant words and the quantity', () => {
  const quantityOf = (text: string) => {
    const reading = readVariant(text, SHOES, SHOE_VARIANTS);
    if (reading.kind !== 'ok') throw new Error(reading.kind);
    return { variant: reading.variantId, quantity: parseQuantity(withoutOptionWords(text, reading.used), 'BuyShoe') };
  };

  it.each([
    ['@shop #BuyShoe 42', 'var_42', 1],
    ['@shop #BuyShoe 42 x2', 'var_42', 2],
    ['@shop #BuyShoe x2 42', 'var_42', 2],
    ['@shop 3x #BuyShoe 41', 'var_41', 3],
  ] as const)('%s: size %s, %i unit(s)', (text, variant, quantity) => {
    expect(quantityOf(text)).toEqual({ variant, quantity: { kind: 'ok', quantity } });
  });

  it('a number that is not a size stays an unreadable quantity', () => {
    expect(quantityOf('@shop #BuyShoe 42 7').quantity).toMatchObject({ kind: 'ambiguous' });
  });
});

it('labels a variant in the option order', () => {
  expect(variantLabel(TEE, { Colour: 'black', Size: 'M' })).toBe('M / black');
});
