import type { Queryable } from '../db/pool';
import type { ProductRow } from './products.repository';
import { withVariants, type ProductView as WithVariants } from '../variants/variants.service';
import { withWaitlistLength } from '../waitlist/waitlist.repository';

/** A product as the API shows it: with its live variants and the length of its waitlist. */
export type ProductView = WithVariants & { waitlist_length: number };

export async function productViews(db: Queryable, products: ProductRow[]): Promise<ProductView[]> {
  return withWaitlistLength(db, await withVariants(db, products));
}
