import type { Queryable } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import type { ProductRow } from '../products/products.repository';
import { isUnlimitedStock } from '../products/stock.repository';
import { paidBefore, waitingCounts } from '../waitlist/waitlist.repository';
import { VariantLedger } from '../variants/variant-ledger';
import type { VariantRow } from '../variants/variants.repository';
import type { PostPlan } from './decide';
import * as batch from './batch.repository';
import * as turns from './batch-turns';
import { EarlierBatchesFirst, TurnNeeded, unique, type Turn } from './matching-context';

/** A post whose plan is to buy, with its author's linked buyer (none: the author has no card yet). */
export interface Purchase {
  post: InboundPost;
  plan: Extract<PostPlan, { kind: 'order' }>;
  buyer: batch.LinkedBuyer | undefined;
}

/** What the batch decides with, read under its locks; the counts go down post by post as it decides. */
export interface LockedBatch {
  /** Daily spending limits by buyer id (only buyers that have one). */
  limits: Map<string, number | null>;
  /** Spent today, by batch.spendKey(author, currency). */
  spent: Map<string, number>;
  /** Units left by product id (null: the product keeps no count). */
  stock: Map<string, number | null>;
  /** Products of unlimited stock: nothing is held for them. */
  unlimited: Set<string>;
  variantStock: VariantLedger;
  /** The hashtags of the limited stock this batch decides: its turn is recorded with them. */
  limitedKeys: string[];
  /** Orders already waiting, by product id. */
  waiting: Map<string, number>;
  /** `authorId|merchantId` for buyers who paid the merchant before. */
  paid: Set<string>;
}

/**
 * Takes the batch's locks and reads what it decides with under them. Throws TurnNeeded when the
 * batch must (again) take a turn, EarlierBatchesFirst when live batches with earlier posts for the
 * same stock go first: the transaction around it (batch-transaction.ts) rolls back and runs again.
 */
export async function lockBatch(
  q: Queryable, products: ProductRow[], buying: Purchase[], turn: Turn | null, variantsOf: (productId: string) => VariantRow[],
): Promise<LockedBatch> {
  // Locks, buyers then products (as every other writer takes them), each in id order.
  const limited = unique(buying.flatMap((b) => (b.buyer && b.buyer.daily_limit_amount !== null ? [b.buyer.id] : []))).sort();
  const limits = limited.length ? await batch.lockBuyerLimits(q, limited) : new Map<string, number | null>();
  const spenders = buying.filter((b) => b.buyer && (limits.get(b.buyer.id) ?? null) !== null);
  const spent = spenders.length
    ? await batch.spentTodayByBuyer(q, unique(spenders.map((b) => b.post.authorId)), unique(spenders.map((b) => b.plan.product.currency)))
    : new Map<string, number>();
  // A buyer without a card takes no unit, but joins the waitlist when none is free.
  const stocked = unique(buying.flatMap((b) => (b.buyer || b.plan.product.waitlist ? [b.plan.product.id] : []))).sort();
  // Unlimited stock keeps no count: its batches read it side by side. Without a turn, every other
  // product limited: the batch can only find them sold out (else it takes its turn). A capped
  // waitlist is counted under the write lock: batches reading side by side could each fill its last places.
  const stockedProducts = products.filter((p) => stocked.includes(p.id));
  const lockMode = stockedProducts.every(isUnlimitedStock) ? 'unlimited'
    : stockedProducts.every((p) => isUnlimitedStock(p) || (!turn && p.inventory !== null && p.waitlist_limit === null)) ? 'share' : 'update';
  const shared = lockMode !== 'update';
  const locked = stocked.length ? await batch.lockStock(q, stocked, lockMode) : new Map<string, batch.LockedStock>();
  // Under the lock, a product must still be what the batch read it as: one a merchant switched
  // since (to or from unlimited stock) is taken under the right lock in a new run of the batch.
  // (So is one whose limit moved to its variants, which a shared lock does not protect.)
  const changed = (p: ProductRow) => locked.get(p.id)!.unlimited !== isUnlimitedStock(p)
    || (shared && !locked.get(p.id)!.unlimited && locked.get(p.id)!.available === null);
  if (products.some((p) => locked.has(p.id) && changed(p))) throw new TurnNeeded();
  const unlimited = new Set(products.filter((p) => locked.get(p.id)?.unlimited).map((p) => p.id));
  const stock = new Map([...locked].map(([id, s]) => [id, s.available]));
  const variantStock = await VariantLedger.read(q, buying.flatMap((b) => (b.buyer && b.plan.variant ? [b.plan.variant.row.id] : [])));
  // Queued on these locks behind this batch may be one with earlier posts: it goes first. A
  // product with no unit left needs no turn (an earlier batch can only take units, not give).
  const unitsLeft = (id: string) => stock.get(id) !== null && stock.get(id)! > 0;
  if (!turn && products.some((p) => stock.has(p.id) && unitsLeft(p.id))) throw new TurnNeeded();
  const limitedKeys = unique(products.filter((p) => stock.has(p.id) && (unitsLeft(p.id) || (stock.get(p.id) === null && variantStock.anyLimited(variantsOf(p.id))))).map((p) => p.hashtag_key));
  if (turn && limitedKeys.length) {
    const earlier = await turns.earlierBatches(q, turn.id, turn.firstPostId, limitedKeys);
    if (earlier.length) throw new EarlierBatchesFirst(earlier);
  }
  // Read under the product locks: who waits already (nobody waits for unlimited stock, whose units
  // are never out: no read for it), and (for a first-purchase #confirm) who paid before.
  const waiting = await waitingCounts(q, stocked.filter((id) => !unlimited.has(id)));
  const firstPurchase = buying.filter((b) => b.buyer && b.plan.product.confirm === 'first_purchase');
  const paid = firstPurchase.length
    ? await paidBefore(q, unique(firstPurchase.map((b) => b.post.authorId)), unique(firstPurchase.map((b) => b.plan.product.merchant_id)))
    : new Set<string>();
  return { limits, spent, stock, unlimited, variantStock, limitedKeys, waiting, paid };
}
