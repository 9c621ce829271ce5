import type { Queryable } from '../db/pool';
import { errors } from '../http/errors';
import { newId } from '../ids';
import type { ProductRow } from '../products/products.repository';
import type { ProductOption } from './parse';
import * as repo from './variants.repository';
import { holdUnitsOfUnlimitedOrders, lockStockKind } from '../products/stock.repository';
import { checkVariants, toProductOptions, type OptionInput, type VariantInput } from './variants.schema';

/** A product with its live variants and their stock: what the merchant API shows. */
export type ProductView = ProductRow & { variants: repo.VariantStock[] };

export async function withVariants(db: Queryable, products: ProductRow[]): Promise<ProductView[]> {
  const withOptions = products.filter((p) => p.options.length > 0).map((p) => p.id);
  const variants = await repo.liveVariants(db, withOptions);
  return products.map((p) => ({ ...p, variants: variants.filter((v) => v.product_id === p.id) }));
}

/** The stored options in the shape the API takes them. */
export function optionsAsInput(options: ProductOption[]): OptionInput[] {
  return options.map((o) => ({
    name: o.name,
    values: o.values.map((v) => v.value),
    synonyms: Object.fromEntries(o.values.filter((v) => v.synonyms.length).map((v) => [v.value, v.synonyms])),
  }));
}

const combinationKey = (options: Record<string, string>) => JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Replaces a product's options and variants (in the caller's transaction, product row locked):
 * a variant whose combination is kept keeps its id and orders; one left out stops selling.
 * `options` undefined keeps the stored ones. Refuses a SKU another live product of the merchant
 * uses, and a variant inventory below the units its orders already hold or sold.
 */
export async function replaceVariants(tx: Queryable, product: ProductRow, options: OptionInput[] | undefined, variants: VariantInput[]): Promise<void> {
  const chosenOptions = options ?? optionsAsInput(product.options);
  const { issues, specs } = checkVariants(chosenOptions, variants);
  if (issues.length) {
    const fields = issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
    throw errors.validation(`body ${fields[0]!.field}: ${fields[0]!.message}`, fields);
  }
  const stock = await lockStockKind(tx, product.id, 'update');
  // A product leaving unlimited stock holds its orders' units first: the checks below count them.
  if (stock?.unlimited && specs.some((s) => s.inventory !== null)) await holdUnitsOfUnlimitedOrders(tx, product.id);
  await repo.lockMerchantSkus(tx, product.merchant_id);
  const skus = specs.flatMap((s) => (s.sku === null ? [] : [s.sku]));
  const taken = await repo.skusInUse(tx, product.merchant_id, skus, product.id);
  if (taken.length) throw errors.conflict('sku_taken', `SKU ${taken[0]} is already used by another of your products' variants`, { sku: taken[0] });

  const existing = await repo.liveVariants(tx, [product.id]);
  const byCombination = new Map(existing.map((v) => [combinationKey(v.options), v]));
  const kept = new Set<string>();
  const writes = specs.map((spec, position) => {
    const current = byCombination.get(combinationKey(spec.options));
    if (current) {
      kept.add(current.id);
      if (spec.inventory !== null && spec.inventory < current.committed) {
        throw errors.conflict('inventory_below_committed',
          `variants.${position}.inventory cannot go below the ${current.committed} unit(s) of this variant already sold or reserved`);
      }
    }
    return { id: current?.id ?? newId('var'), options: spec.options, sku: spec.sku, unit_amount: spec.unit_amount, inventory: spec.inventory, position };
  });
  await repo.retireVariants(tx, existing.filter((v) => !kept.has(v.id)).map((v) => v.id));
  await repo.upsertVariants(tx, product.id, product.merchant_id, writes);
  await repo.setProductOptions(tx, product.id, toProductOptions(chosenOptions));
  await repo.syncProductInventory(tx, product.id);
}

/** The variants as the API shows them: price and stock resolved. */
export function presentVariants(p: ProductView) {
  return p.variants.map((v) => ({
    id: v.id,
    object: 'product_variant' as const,
    options: v.options,
    sku: v.sku,
    unit_amount: v.unit_amount ?? p.unit_amount,
    inventory: v.inventory,
    inventory_remaining: v.inventory === null ? null : v.inventory - v.committed,
  }));
}
