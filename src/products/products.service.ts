import type { Db } from '../db/pool';
import { isUniqueViolation, withTransaction } from '../db/pool';
import { newId } from '../ids';
import { errors } from '../http/errors';
import { claimHashtag, hashtagLookAlike, hashtagTaken, type HashtagLimits } from './hashtag-registry';
import * as repo from './products.repository';
import { holdUnitsOfUnlimitedOrders, lockStockKind } from './stock.repository';
import type { z } from 'zod';
import type { createProductBody, updateProductBody } from './products.schema';
import { replaceVariants } from '../variants/variants.service';
import { productViews, type ProductView } from './product-view';
import { confirmRuleProblem } from './products.schema';
import type { Followup } from '../queue/followups';
import { promoteWaitlist, type WaitlistDeps } from '../waitlist/promotion';

export type CreateProductInput = z.infer<typeof createProductBody>;
export type UpdateProductInput = z.infer<typeof updateProductBody>;

export type { ProductView };

export interface ProductsService {
  create(merchantId: string, input: CreateProductInput): Promise<ProductView>;
  get(merchantId: string, id: string): Promise<ProductView>;
  list(merchantId: string, opts: { limit: number; startingAfter?: string; status?: string }): Promise<ProductView[]>;
  update(merchantId: string, id: string, input: UpdateProductInput): Promise<ProductView>;
  archive(merchantId: string, id: string): Promise<ProductView>;
}

/** Units added by the merchant go to the waitlist's head at once; the jobs that leaves are enqueued after commit. */
export interface ProductsWaitlist {
  deps: WaitlistDeps;
  enqueue?: (followups: Followup[]) => Promise<void>;
}

/** Translates constraint violations into the merchant's language. */
function conflictFrom(err: unknown, tag: string | undefined): never {
  if (isUniqueViolation(err, 'products_live_hashtag') && tag) throw hashtagTaken(tag);
  if (isUniqueViolation(err, 'products_live_hashtag_skeleton') && tag) throw hashtagLookAlike(tag);
  const e = err as { code?: string; constraint?: string };
  if (e?.code === '23514' && e.constraint === 'products_never_oversold') {
    throw errors.conflict('inventory_below_committed', 'inventory cannot go below the units already sold or reserved');
  }
  throw err;
}

/**
 * Product rules. `onChanged` lets the ingest re-sync stream rules within seconds of an edit;
 * `mayActivate` refuses a new live product to a merchant who may not sell (live mode: Stripe
 * has not enabled charges on its connected account).
 */
export function createProductsService(
  db: Db,
  limits: HashtagLimits,
  onChanged: () => void = () => undefined,
  opts: { mayActivate?: (db: Db, merchantId: string) => Promise<void>; waitlist?: ProductsWaitlist } = {},
): ProductsService {
  const { mayActivate = async () => undefined, waitlist } = opts;
  async function find(merchantId: string, id: string) {
    const p = await repo.findProduct(db, merchantId, id);
    if (!p) throw errors.notFound('product', id);
    return p;
  }
  const views = (rows: repo.ProductRow[]) => productViews(db, rows);
  const view = async (p: repo.ProductRow) => (await views([p]))[0]!;
  const get = async (merchantId: string, id: string) => view(await find(merchantId, id));
  return {
    async create(merchantId, input) {
      await mayActivate(db, merchantId);
      try {
        const p = await withTransaction(db, async (tx) => {
          const created = await repo.insertProduct(tx, {
          ...(await claimHashtag(tx, limits, { merchantId, hashtag: input.hashtag, productId: null })),
          id: newId('prod'),
          merchant_id: merchantId,
          name: input.name,
          description: input.description ?? null,
          unit_amount: input.unit_amount,
          currency: input.currency,
          inventory: input.inventory ?? null,
          max_per_order: input.max_per_order,
          starts_at: input.starts_at ? new Date(input.starts_at) : null,
          ends_at: input.ends_at ? new Date(input.ends_at) : null,
          metadata: input.metadata,
          shipping: input.shipping,
          shipping_countries: input.shipping_countries,
          cancel_window_minutes: input.cancel_window_minutes,
          support_email: input.support_email,
          waitlist: input.waitlist,
          waitlist_limit: input.waitlist_limit,
          confirm: input.confirm,
          confirm_above_amount: input.confirm_above_amount,
          });
          if (!input.variants?.length) return created;
          await replaceVariants(tx, created, input.options, input.variants);
          return (await repo.findProduct(tx, merchantId, created.id))!;
        });
        onChanged();
        return view(p);
      } catch (err) {
        conflictFrom(err, input.hashtag);
      }
    },
    get,
    list: async (merchantId, opts) => views(await repo.listProducts(db, merchantId, opts)),
    async update(merchantId, id, input) {
      const current = await get(merchantId, id);
      if (input.inventory !== undefined && current.variants.length > 0 && input.variants === undefined) {
        throw errors.validation('body inventory: is set per variant when the product has variants', [{ field: 'inventory', message: 'is set per variant when the product has variants' }]);
      }
      if (current.status === 'archived') throw errors.conflict('product_archived', `Product ${id} is archived and can no longer change`);
      const starts = input.starts_at !== undefined ? input.starts_at : current.starts_at?.toISOString() ?? null;
      const ends = input.ends_at !== undefined ? input.ends_at : current.ends_at?.toISOString() ?? null;
      if (starts && ends && Date.parse(ends) <= Date.parse(starts)) {
        throw errors.validation('body ends_at: must be after starts_at', [{ field: 'ends_at', message: 'must be after starts_at' }]);
      }
      let metadata: Record<string, string> | undefined;
      if (input.metadata === null) metadata = {};
      else if (input.metadata) {
        metadata = { ...current.metadata };
        for (const [k, v] of Object.entries(input.metadata)) {
          if (v === '') delete metadata[k];
          else metadata[k] = v;
        }
        if (Object.keys(metadata).length > 50) throw errors.validation('body metadata: may have at most 50 keys', [{ field: 'metadata', message: 'may have at most 50 keys' }]);
      }
      // Switching the rule away from above_amount drops the threshold with it.
      const confirm = input.confirm ?? current.confirm;
      const threshold = input.confirm_above_amount !== undefined ? input.confirm_above_amount : confirm === 'above_amount' ? current.confirm_above_amount : null;
      const confirmProblem = confirmRuleProblem({ confirm, confirm_above_amount: threshold });
      if (confirmProblem) throw errors.validation(`body confirm_above_amount: ${confirmProblem}`, [{ field: 'confirm_above_amount', message: confirmProblem }]);
      try {
        let promoted: Followup[] = [];
        const p = await withTransaction(db, async (tx) => {
          // Unlimited stock keeps no count: a limit set now counts what its orders hold and sold
          // first, under the row's write lock (which waits for batches taking from it), so that
          // the new inventory is units in total as always and nothing is sold twice.
          if (typeof input.inventory === 'number' && (await lockStockKind(tx, id, 'update'))?.unlimited) await holdUnitsOfUnlimitedOrders(tx, id);
          const updated = await repo.updateProduct(tx, merchantId, id, {
          ...(input.hashtag !== undefined && (await claimHashtag(tx, limits, { merchantId, hashtag: input.hashtag, productId: id }))),
          name: input.name,
          description: input.description,
          unit_amount: input.unit_amount,
          inventory: input.inventory,
          max_per_order: input.max_per_order,
          starts_at: input.starts_at === undefined ? undefined : input.starts_at ? new Date(input.starts_at) : null,
          ends_at: input.ends_at === undefined ? undefined : input.ends_at ? new Date(input.ends_at) : null,
          metadata,
          shipping: input.shipping,
          shipping_countries: input.shipping_countries,
          cancel_window_minutes: input.cancel_window_minutes,
          support_email: input.support_email,
          waitlist: input.waitlist,
          waitlist_limit: input.waitlist_limit,
          confirm,
          confirm_above_amount: threshold,
          });
          if (updated && input.variants !== undefined) await replaceVariants(tx, updated, input.options, input.variants);
          // More units (or no limit any more): the waitlist's head takes them before any new post.
          if (!updated || !waitlist || (input.inventory === undefined && input.variants === undefined)) {
            return updated && input.variants !== undefined ? repo.findProduct(tx, merchantId, id) : updated;
          }
          promoted = await promoteWaitlist(tx, id, waitlist.deps);
          // The product as it is after the variants changed and the promotions took their units.
          return promoted.length || input.variants !== undefined ? repo.findProduct(tx, merchantId, id) : updated;
        });
        if (!p) throw errors.conflict('product_archived', `Product ${id} is archived and can no longer change`);
        if (promoted.length) await waitlist?.enqueue?.(promoted);
        onChanged();
        return view(p);
      } catch (err) {
        conflictFrom(err, input.hashtag);
      }
    },
    async archive(merchantId, id) {
      const p = await repo.archiveProduct(db, merchantId, id);
      if (!p) throw errors.notFound('product', id);
      onChanged();
      return view(p);
    },
  };
}
