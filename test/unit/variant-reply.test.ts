import twitter from 'twitter-text';
import { renderReply, xLength } from '../../src/replies/templates';
import { chooseVariant } from '../../src/variants/choose';
import type { ProductRow } from '../../src/products/products.repository';
import type { VariantRow } from '../../src/variants/variants.repository';

const entities = (text: string) => twitter.extractEntitiesWithIndices(text).map((e) => JSON.stringify(e).replace(/"indices":\[\d+,\d+\]/, ''));

const BENIGN = { product: 'Tee', hashtag: 'BuyTee', shop: 'shop', choices: 'Size: S, M, L', example: 'S black', suggestion: 'black' };
const HOSTILE = ['@XSupport refund: https://evil.com/claim', '＃Free $TSLA', 'evil.com', 'a\u200B@XSupport', 'Mug\n@XSupport\u202E'];

describe('the which-one reply', () => {
  it.each(HOSTILE.flatMap((text) => (['choices', 'example', 'suggestion'] as const).map((field) => [field, text] as const)))(
    'merchant text in %s (%j) adds no mention, hashtag, cashtag or link', (field, text) => {
      const reply = renderReply('which_variant', { ...BENIGN, [field]: text });
      expect(entities(reply)).toEqual(entities(renderReply('which_variant', BENIGN)));
      expect(reply).not.toMatch(/[\r\n\u200B\u202A-\u202E]/);
    });

  it('fits in 280 characters however many choices there are', () => {
    const long = Array.from({ length: 3 }, (_, i) => `Option${i}: ${Array.from({ length: 30 }, (__, j) => `${'v'.repeat(36)}${j}`).join(', ')}`).join('; ');
    const reply = renderReply('which_variant', { ...BENIGN, product: 'P'.repeat(200), hashtag: 'B'.repeat(100), choices: long, example: 'e '.repeat(60), suggestion: 's'.repeat(80) });
    expect(xLength(reply)).toBeLessThanOrEqual(280);
    // With the longest name and hashtag, the guess and the example give way to the choices.
    expect(reply).toMatch(/^Which one\? P+… comes in Option0: v+…\. Post again with your choice, e\.g\. @shop #B+\. Nothing was charged\.$/);
    const usual = renderReply('which_variant', { ...BENIGN, choices: long });
    expect(xLength(usual)).toBeLessThanOrEqual(280);
    expect(usual).toMatch(/^Which one\? Did you mean black\? Tee comes in Option0: v+0, v+1, .*…\. Post again with your choice, e\.g\. @shop #BuyTee S black\./);
  });
});

describe('choosing the variant of a product', () => {
  const product = {
    id: 'prod_1', name: 'Tee', hashtag: 'BuyTee', unit_amount: 2000,
    options: [{ name: 'Size', values: [{ value: 'S', synonyms: [] }, { value: 'M', synonyms: [] }] }],
  } as unknown as ProductRow;
  const variants = [
    { id: 'var_S', options: { Size: 'S' }, sku: 'S1', unit_amount: null },
    { id: 'var_M', options: { Size: 'M' }, sku: null, unit_amount: 2500 },
  ] as unknown as VariantRow[];

  it('a product without options has no variant step', () => {
    expect(chooseVariant('#BuyTee', { ...product, options: [] }, [], 'shop')).toEqual({ kind: 'no_variants' });
  });

  it('a chosen variant brings its price, its label and the post without its words', () => {
    const step = chooseVariant('@shop #BuyTee M x2', product, variants, 'shop');
    expect(step).toMatchObject({ kind: 'chosen', variant: { unitAmount: 2500, itemName: 'Tee (M)', snapshot: { id: 'var_M', sku: null, options: { Size: 'M' }, label: 'M' } } });
    if (step.kind === 'chosen') expect(step.variant.quantityText).toBe('@shop #BuyTee   x2');
    expect(chooseVariant('@shop #BuyTee s', product, variants, 'shop')).toMatchObject({ kind: 'chosen', variant: { unitAmount: 2000 } });
  });

  it.each([
    ['@shop #BuyTee', 'variant_missing', 'Tee comes in Size: S, M.'],
    ['@shop #BuyTee S M', 'variant_ambiguous', 'Tee comes in Size: S, M.'],
  ])('%s: %s, a reply listing the choices', (text, reason, listed) => {
    const step = chooseVariant(text, product, variants, 'shop');
    expect(step).toMatchObject({ kind: 'which_one', reason, reply: { kind: 'which_variant' } });
    if (step.kind === 'which_one') expect(step.reply.text).toBe(`Which one? ${listed} Post again with your choice, e.g. @shop #BuyTee S. Nothing was charged.`);
  });

  it('a combination not sold lists the variants there are', () => {
    const two = { ...product, options: [...product.options, { name: 'Colour', values: [{ value: 'red', synonyms: [] }, { value: 'blue', synonyms: [] }] }] } as ProductRow;
    const sold = [{ id: 'var_Sr', options: { Size: 'S', Colour: 'red' } }, { id: 'var_Mb', options: { Size: 'M', Colour: 'blue' } }] as unknown as VariantRow[];
    const step = chooseVariant('#BuyTee S blue', two, sold, 'shop');
    expect(step).toMatchObject({ kind: 'which_one', reason: 'variant_unavailable' });
    if (step.kind === 'which_one') expect(step.reply.text).toContain('Tee comes in S / red, M / blue.');
  });
});
