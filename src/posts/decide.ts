import type { InboundPost } from '../x/x.port';
import type { ProductRow } from '../products/products.repository';
import { renderReply, type ReplyKind } from '../replies/templates';
import { maxChargeAmount } from '../payments/amount-limit';
import { parseQuantity } from './quantity';
import { chooseVariant, type ChosenVariant } from '../variants/choose';
import type { VariantRow } from '../variants/variants.repository';

/** The decision rules for one post, free of the database: what the matcher records and answers. */

export interface ScreenRules {
  shopUsername: string;
  shopUserId?: string | null;
  requireMention: boolean;
}

export type Decision = { outcome: string; reason: string | null };
export interface ReplyPlan { kind: ReplyKind; text: string }

/** A post settled without an order (perhaps with a reply), or a post that buys `quantity` of `product`. */
export type PostPlan =
  | { kind: 'decided'; outcome: string; reason: string | null; reply?: ReplyPlan }
  | { kind: 'order'; product: ProductRow; quantity: number; variant: ChosenVariant | null; unitAmount: number };

/** Checks that need no database: who wrote it, what kind of post it is, whether it addresses us. */
export function screen(post: InboundPost, d: ScreenRules): Decision | null {
  const shop = d.shopUsername.toLowerCase();
  if ((d.shopUserId && post.authorId === d.shopUserId) || post.authorUsername?.toLowerCase() === shop) return { outcome: 'ignored', reason: 'own_post' };
  if (post.referenced.some((r) => r.type === 'retweeted')) return { outcome: 'ignored', reason: 'retweet' };
  if (post.referenced.some((r) => r.type === 'quoted')) return { outcome: 'ignored', reason: 'quote' };
  if (d.requireMention && !post.mentions.some((m) => m.username.toLowerCase() === shop || (d.shopUserId && m.id === d.shopUserId))) {
    return { outcome: 'ignored', reason: 'no_mention' };
  }
  if (post.hashtags.length === 0) return { outcome: 'ignored', reason: 'no_hashtag' };
  return null;
}

/**
 * What a screened-in post asks for, given the live products its hashtags name (oldest first):
 * nothing (with the reason and perhaps a how-to reply), or a quantity of one product. Who buys it,
 * and whether a unit is left, is decided later, under the buyer and product locks.
 */
export function planPost(
  post: InboundPost, at: Date, candidates: ProductRow[], shopUsername: string, variantsOf: (productId: string) => VariantRow[] = () => [],
): PostPlan {
  if (candidates.length === 0) return { kind: 'decided', outcome: 'ignored', reason: 'no_product' };
  const open = candidates.filter((p) => (!p.starts_at || p.starts_at <= at) && (!p.ends_at || p.ends_at > at));
  if (open.length === 0) {
    const early = candidates.every((p) => p.starts_at && p.starts_at > at);
    return { kind: 'decided', outcome: 'ignored', reason: early ? 'sale_not_started' : 'sale_ended' };
  }
  const howToBuy = (hashtag: string): ReplyPlan => ({ kind: 'how_to_buy', text: renderReply('how_to_buy', { shop: shopUsername, hashtag }) });
  if (open.length > 1) return { kind: 'decided', outcome: 'ambiguous', reason: 'several_products', reply: howToBuy(open[0]!.hashtag) };
  const product = open[0]!;
  // A product with variants: the post must say which one (the words that do are not a quantity).
  const step = chooseVariant(post.text, product, variantsOf(product.id), shopUsername);
  if (step.kind === 'which_one') return { kind: 'decided', outcome: 'ambiguous', reason: step.reason, reply: step.reply };
  const variant = step.kind === 'chosen' ? step.variant : null;
  const unitAmount = variant?.unitAmount ?? product.unit_amount;
  const q = parseQuantity(variant?.quantityText ?? post.text, product.hashtag);
  if (q.kind === 'ambiguous') return { kind: 'decided', outcome: 'ambiguous', reason: 'quantity_unreadable', reply: howToBuy(product.hashtag) };
  if (q.quantity > product.max_per_order) {
    return {
      kind: 'decided', outcome: 'rejected', reason: 'quantity_over_max',
      reply: { kind: 'too_many', text: renderReply('too_many', { product: product.name, maxPerOrder: product.max_per_order }) },
    };
  }
  // Refused before any order exists: Stripe could never charge it, so no price is promised.
  const maxAmount = maxChargeAmount(product.currency);
  if (unitAmount * q.quantity > maxAmount) {
    return {
      kind: 'decided', outcome: 'rejected', reason: 'amount_too_large',
      reply: {
        kind: 'amount_too_large',
        text: renderReply('amount_too_large', {
          product: variant?.itemName ?? product.name, quantity: q.quantity, amount: unitAmount * q.quantity, currency: product.currency, maxAmount,
        }),
      },
    };
  }
  return { kind: 'order', product, quantity: q.quantity, variant, unitAmount };
}

/** The edit chain a post belongs to: the first id of its edit history (its own id if never edited). */
export function chainIdOf(post: InboundPost): string {
  return post.editHistoryIds[0] ?? post.id;
}
