import { z } from 'zod';
import { plainText } from '../http/text';
import { foldTerm, type ProductOption } from './parse';

/**
 * The merchant's words for a product's options and variants. Option names and values are merchant
 * text the shop may post (the "which one?" reply): they are made inert there like product names.
 */

export const MAX_OPTIONS = 3;
export const MAX_VALUES = 30;
export const MAX_VARIANTS = 100;

/** A value or synonym a buyer types: words, not a mention, hashtag, cashtag or link. */
const term = plainText(z.string().trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters'))
  .refine((t) => /[\p{L}\p{N}]/u.test(t), 'must contain a letter or a digit')
  .refine((t) => !/[#＃@＠$＄]|:\/\//u.test(t), 'must not contain #, @, $ or a link: buyers type it as a plain word')
  .refine((t) => t.split(/\s+/u).length <= 3, 'must be at most 3 words')
  // What separates words in a post (src/variants/parse.ts) cannot be inside one.
  .refine((t) => !/[,;!?()[\]{}"“”«»|，；！？（）【】「」]/u.test(t), 'must not contain , ; ! ? | brackets or quotes: a post splits words there');

export const optionInput = z.strictObject({
  name: plainText(z.string().trim().min(1, 'is required').max(40, 'must be at most 40 characters')).meta({ example: 'Size' }),
  values: z.array(term).min(1, 'must list at least one value').max(MAX_VALUES, `may list at most ${MAX_VALUES} values`)
    .meta({ example: ['S', 'M', 'L'] }),
  synonyms: z.record(z.string(), z.array(term).max(10, 'may list at most 10 synonyms per value')).default({})
    .meta({ description: 'Other words buyers may use for a value, keyed by the value', example: { M: ['medium'] } }),
}).meta({ id: 'ProductOptionInput' });

export const variantInput = z.strictObject({
  options: z.record(z.string(), z.string()).meta({ description: 'One value of each of the product\'s options', example: { Size: 'M', Colour: 'black' } }),
  sku: plainText(z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')).nullable().default(null)
    .meta({ description: 'Your stock-keeping unit; unique among your live variants', example: 'TEE-M-BLK' }),
  unit_amount: z.number().int('must be an integer in minor units (cents)').min(1, 'must be at least 1').max(99_999_999, 'must be at most 99999999')
    .nullable().default(null).meta({ description: "Price of one unit in minor units; null = the product's unit_amount" }),
  inventory: z.number().int('must be an integer').min(0, 'must be 0 or more').max(10_000_000).nullable().default(null)
    .meta({ description: 'Units of this variant for sale; null = unlimited' }),
}).meta({ id: 'ProductVariantInput' });

export const variantFields = {
  options: z.array(optionInput).max(MAX_OPTIONS, `may have at most ${MAX_OPTIONS} options`)
    .meta({ description: 'What buyers choose between (e.g. Size, Colour). Given together with variants' }),
  variants: z.array(variantInput).max(MAX_VARIANTS, `may have at most ${MAX_VARIANTS} variants`)
    .meta({ description: 'What is sold: one value per option each, with its own stock, optional price and SKU. ' +
      'On update the list replaces the old one: a variant with the same options keeps its id; one left out stops selling' }),
};

export type OptionInput = z.infer<typeof optionInput>;
export type VariantInput = z.infer<typeof variantInput>;
export interface VariantSpec { options: Record<string, string>; sku: string | null; unit_amount: number | null; inventory: number | null }

type Issue = { path: Array<string | number>; message: string };

/** The options as stored: each value with its synonyms. */
export function toProductOptions(options: OptionInput[]): ProductOption[] {
  return options.map((o) => ({ name: o.name, values: o.values.map((value) => ({ value, synonyms: o.synonyms[value] ?? [] })) }));
}

/** Everything wrong with a product's options and variants together; the variants with canonical values. */
export function checkVariants(options: OptionInput[], variants: VariantInput[]): { issues: Issue[]; specs: VariantSpec[] } {
  const issues: Issue[] = [];
  if (options.length > 0 && variants.length === 0) issues.push({ path: ['variants'], message: 'must list at least one variant when options are given' });
  if (variants.length > 0 && options.length === 0) issues.push({ path: ['options'], message: 'must list the options the variants choose from' });
  const names = new Set<string>();
  const owners = new Map<string, string>(); // folded term -> "option value"
  options.forEach((o, i) => {
    if (names.has(foldTerm(o.name))) issues.push({ path: ['options', i, 'name'], message: `"${o.name}" is used by two options` });
    names.add(foldTerm(o.name));
    for (const key of Object.keys(o.synonyms)) {
      if (!o.values.includes(key)) issues.push({ path: ['options', i, 'synonyms', key], message: `"${key}" is not one of this option's values` });
    }
    o.values.forEach((value, j) => {
      const own = new Set<string>();
      const words: Array<[string, Array<string | number>]> = [[value, ['options', i, 'values', j]],
        ...(o.synonyms[value] ?? []).map((s): [string, Array<string | number>] => [s, ['options', i, 'synonyms', value]])];
      for (const [word, path] of words) {
        const t = foldTerm(word);
        if (own.has(t)) continue; // a value listed again as its own synonym changes nothing
        own.add(t);
        const owner = owners.get(t);
        if (owner) issues.push({ path, message: `"${word}" would also be read as ${owner}: each word must name one value` });
        else owners.set(t, `${o.name} ${value}`);
      }
    });
  });
  const combinations = new Set<string>();
  const skus = new Set<string>();
  const specs = variants.map((v, i) => {
    const canonical: Record<string, string> = {};
    for (const key of Object.keys(v.options)) {
      if (!options.some((o) => o.name === key)) issues.push({ path: ['variants', i, 'options', key], message: `"${key}" is not an option of this product` });
    }
    for (const o of options) {
      const given = v.options[o.name];
      const value = given === undefined ? undefined : o.values.find((x) => foldTerm(x) === foldTerm(given));
      if (given === undefined) issues.push({ path: ['variants', i, 'options', o.name], message: 'is required: every variant has one value per option' });
      else if (value === undefined) issues.push({ path: ['variants', i, 'options', o.name], message: `must be one of ${o.values.join(', ')}` });
      else canonical[o.name] = value;
    }
    const combination = JSON.stringify(options.map((o) => canonical[o.name] ?? null));
    if (combinations.has(combination)) issues.push({ path: ['variants', i, 'options'], message: 'is the same combination as an earlier variant' });
    combinations.add(combination);
    if (v.sku !== null) {
      if (skus.has(v.sku)) issues.push({ path: ['variants', i, 'sku'], message: 'is used by an earlier variant' });
      skus.add(v.sku);
    }
    return { options: canonical, sku: v.sku, unit_amount: v.unit_amount, inventory: v.inventory };
  });
  return { issues, specs };
}

/** Adds the problems of a body's options and variants to a zod refinement. */
export function refineVariants(body: { options?: OptionInput[]; variants?: VariantInput[] }, ctx: z.RefinementCtx): void {
  if (body.options === undefined && body.variants === undefined) return;
  if (body.options !== undefined && body.variants === undefined) {
    ctx.addIssue({ code: 'custom', path: ['variants'], message: 'is required when options change (each variant names one value per option)' });
    return;
  }
  // Variants alone on an update are checked against the stored options by the service.
  if (body.options === undefined) return;
  for (const issue of checkVariants(body.options, body.variants ?? []).issues) ctx.addIssue({ code: 'custom', ...issue });
}

export const variantView = z.object({
  id: z.string().meta({ example: 'var_8Hk2...' }),
  object: z.literal('product_variant'),
  options: z.record(z.string(), z.string()).meta({ example: { Size: 'M', Colour: 'black' } }),
  sku: z.string().nullable(),
  unit_amount: z.number().int().meta({ description: "Price of one unit (the product's unless the variant has its own)" }),
  inventory: z.number().int().nullable(),
  inventory_remaining: z.number().int().nullable().meta({ description: 'Left to sell; reserved units count as gone. null = unlimited' }),
}).meta({ id: 'ProductVariant' });

export const optionView = z.object({
  name: z.string(),
  values: z.array(z.string()),
  synonyms: z.record(z.string(), z.array(z.string())),
}).meta({ id: 'ProductOption' });

/** The variant an order bought, as it was then. */
export const orderVariant = z.object({
  id: z.string().meta({ example: 'var_8Hk2...' }),
  sku: z.string().nullable(),
  options: z.record(z.string(), z.string()).meta({ example: { Size: 'M', Colour: 'black' } }),
  label: z.string().meta({ description: 'The values in option order, as buyers are shown them', example: 'M / black' }),
}).nullable().meta({ id: 'OrderVariant', description: 'The variant bought (as it was when ordered); null for a product without variants' });

/** What an order keeps of its variant: the record of what was bought, whatever changes later. */
export interface OrderVariant { id: string; sku: string | null; options: Record<string, string>; label: string }
