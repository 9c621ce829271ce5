import type { Queryable } from '../db/pool';
import type { EventWrite } from '../posts/batch.repository';
import type { ChosenVariant } from './choose';
import { liveVariants, variantsAvailable, type VariantRow } from './variants.repository';

/** The live variants of a batch's products, for the rules to choose from. */
export async function batchVariants(tx: Queryable, products: Array<{ id: string; options: unknown[] }>): Promise<(productId: string) => VariantRow[]> {
  const variants = await liveVariants(tx, products.filter((p) => p.options.length > 0).map((p) => p.id));
  return (productId) => variants.filter((v) => v.product_id === productId);
}

/**
 * A batch's count of each variant's units left: read once, after the products' row locks (every
 * order that takes stock takes its product's lock first), then taken post by post in post order.
 */
export class VariantLedger {
  private constructor(private readonly left: Map<string, number | null>) {}

  static async read(tx: Queryable, variantIds: string[]): Promise<VariantLedger> {
    return new VariantLedger(await variantsAvailable(tx, [...new Set(variantIds)]));
  }

  /** Whether one of these variants has limited stock: the batch then waits its turn in post order. */
  anyLimited(variants: VariantRow[]): boolean {
    return variants.some((v) => this.left.has(v.id) && this.left.get(v.id) !== null);
  }

  /** Whether `quantity` units of the variant are left (an order without a variant: nothing to check). */
  has(variant: ChosenVariant | null, quantity: number): boolean {
    if (!variant) return true;
    const left = this.left.has(variant.row.id) ? this.left.get(variant.row.id)! : 0;
    return left === null || left >= quantity;
  }

  /** Takes the units; the `product.variant_sold_out` event when they were the variant's last. */
  take(variant: ChosenVariant | null, quantity: number, orderId: string, productId: string): EventWrite | null {
    const left = variant ? this.left.get(variant.row.id) : null;
    if (!variant || left === null || left === undefined) return null;
    this.left.set(variant.row.id, left - quantity);
    return left === quantity ? { order_id: orderId, type: 'product.variant_sold_out', data: { product: productId, variant: variant.snapshot } } : null;
  }
}
