import type { ProductRow } from '../products/products.repository';

/**
 * The waitlist's and the confirm step's rules, free of the database. Stock is per product today;
 * variants (issue 13, section 4) make `StockKey` per variant and nothing else here changes.
 */

/** Whether a post that found no unit joins the product's waitlist: `full` and `off` are told "sold out". */
export function waitlistPlace(product: Pick<ProductRow, 'waitlist' | 'waitlist_limit'>, waiting: number): 'join' | 'full' | 'off' {
  if (!product.waitlist) return 'off';
  return product.waitlist_limit !== null && waiting >= product.waitlist_limit ? 'full' : 'join';
}

/**
 * Units are free for a new post only when nobody waits: a freed unit belongs to the waitlist's
 * head, so a later post never overtakes it (even when the head wants more units than are free).
 */
export function unitsFreeForNewPosts(available: number | null, waiting: number): number | null {
  if (available === null) return null;
  return waiting > 0 ? 0 : available;
}

export interface ConfirmFacts {
  /** The buyer asked, on /account, to confirm every order. */
  alwaysConfirm: boolean;
  /** The buyer has paid this merchant for an order before. */
  paidBefore: boolean;
}

/**
 * A linked buyer's order waits for #confirm when the buyer asks for it always, or the product asks
 * on a first purchase from this merchant, or above an amount. A buyer without a card is never asked
 * too: linking a card for this very order through the signup link is their confirmation.
 */
export function needsConfirmation(product: Pick<ProductRow, 'confirm' | 'confirm_above_amount'>, amount: number, facts: ConfirmFacts): boolean {
  if (facts.alwaysConfirm) return true;
  switch (product.confirm) {
    case 'never':
      return false;
    case 'first_purchase':
      return !facts.paidBefore;
    case 'above_amount':
      return amount > Number(product.confirm_above_amount ?? 0);
  }
}
