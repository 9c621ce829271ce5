import type { ProductRow } from '../products/products.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import { readVariant, variantLabel, withoutOptionWords } from './parse';
import type { VariantRow } from './variants.repository';
import type { OrderVariant } from './variants.schema';

/** The variant a post buys, with what the rest of the rules need from it. */
export interface ChosenVariant {
  row: VariantRow;
  /** What the order keeps of it. */
  snapshot: OrderVariant;
  /** The post without the words that named the variant: where the quantity is read. */
  quantityText: string;
  unitAmount: number;
  /** "Tee (M / black)": the item as replies name it. */
  itemName: string;
}

export type VariantStep =
  | { kind: 'no_variants' }
  | { kind: 'chosen'; variant: ChosenVariant }
  | { kind: 'which_one'; reason: 'variant_missing' | 'variant_ambiguous' | 'variant_unavailable'; reply: { kind: ReplyKind; text: string } };

const MAX_LISTED = 8;

/**
 * Picks the variant a post names for a product with options. A post that names none, two values
 * of one option, or a combination not sold gets the "which one?" reply listing the choices, and no order.
 */
export function chooseVariant(text: string, product: ProductRow, variants: VariantRow[], shopUsername: string): VariantStep {
  if (product.options.length === 0) return { kind: 'no_variants' };
  const reading = readVariant(text, product.options, variants);
  if (reading.kind === 'ok') {
    const row = variants.find((v) => v.id === reading.variantId)!;
    const label = variantLabel(product.options, row.options);
    return {
      kind: 'chosen',
      variant: {
        row,
        snapshot: { id: row.id, sku: row.sku, options: row.options, label },
        quantityText: withoutOptionWords(text, reading.used),
        unitAmount: row.unit_amount ?? product.unit_amount,
        itemName: `${product.name} (${label})`,
      },
    };
  }
  const listValues = (names: string[]) => product.options.filter((o) => names.includes(o.name))
    .map((o) => `${o.name}: ${o.values.slice(0, MAX_LISTED).map((v) => v.value).join(', ')}${o.values.length > MAX_LISTED ? ' …' : ''}`).join('; ');
  let choices: string;
  let reason: 'variant_missing' | 'variant_ambiguous' | 'variant_unavailable';
  if (reading.kind === 'missing') {
    reason = 'variant_missing';
    choices = listValues(reading.missing);
  } else if (reading.kind === 'ambiguous') {
    reason = 'variant_ambiguous';
    choices = listValues([reading.option]);
  } else {
    reason = 'variant_unavailable';
    const labels = variants.map((v) => variantLabel(product.options, v.options));
    choices = `${labels.slice(0, MAX_LISTED).join(', ')}${labels.length > MAX_LISTED ? ' …' : ''}`;
  }
  const example = variants[0] ? product.options.map((o) => variants[0]!.options[o.name]).join(' ') : '';
  const suggestion = reading.kind === 'missing' && reading.suggestions.length ? reading.suggestions.slice(0, 3).join(' or ') : undefined;
  return {
    kind: 'which_one',
    reason,
    reply: {
      kind: 'which_variant',
      text: renderReply('which_variant', { product: product.name, hashtag: product.hashtag, shop: shopUsername, choices, example, suggestion }),
    },
  };
}
