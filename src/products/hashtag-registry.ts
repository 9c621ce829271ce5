import type { Config } from '../config';
import type { Tx } from '../db/pool';
import { AppError, errors } from '../http/errors';
import { RESERVED_HASHTAGS, ruleBudget } from '../ingest/rules';
import { hashtagKey, hashtagSkeleton } from './hashtag';
import * as repo from './products.repository';

export interface HashtagLimits {
  /** Live products one merchant may have. */
  maxPerMerchant: number;
  /** X's stream rule cap (X_STREAM_MAX_RULES), as the ingest plans with it. */
  maxRules: number;
  /** The mention every rule carries, exactly as the ingest writes it (null when not required). */
  mention: string | null;
  /** The shop whose `#cancel` rule the ingest keeps (it takes one rule of the budget); null = none. */
  cancelShop?: string | null;
}

/** The mention is the one the ingest puts in every rule (see ingest/session.ts). */
export function hashtagLimits(config: Config): HashtagLimits {
  return {
    maxPerMerchant: config.MAX_HASHTAGS_PER_MERCHANT,
    maxRules: config.X_STREAM_MAX_RULES,
    mention: config.REQUIRE_MENTION ? config.X_SHOP_USERNAME : null,
    cancelShop: config.X_SHOP_USERNAME,
  };
}

export interface ClaimedHashtag {
  hashtag: string;
  hashtag_key: string;
  hashtag_skeleton: string;
}

/**
 * The rules a hashtag passes before a product may use it, checked under one lock so that
 * concurrent registrations cannot both squeeze in: the merchant's cap (new products only), no
 * live product with the same or a look-alike hashtag, and room in X's stream rules for every
 * live hashtag packed the way the ingest packs them. The unique indexes stay as a backstop.
 */
export async function claimHashtag(
  tx: Tx,
  limits: HashtagLimits,
  claim: { merchantId: string; hashtag: string; productId: string | null },
): Promise<ClaimedHashtag> {
  const { hashtag, merchantId, productId } = claim;
  const key = hashtagKey(hashtag);
  const skeleton = hashtagSkeleton(hashtag);
  // #cancel and #confirm are buyers' answers about an order: a product with one (or a look-alike)
  // would turn them into purchases.
  const reserved = RESERVED_HASHTAGS.find((r) => key === r || skeleton === hashtagSkeleton(r));
  if (reserved) throw hashtagReserved(hashtag, reserved);
  await repo.lockHashtagRegistry(tx);
  if (productId === null && (await repo.countLiveProducts(tx, merchantId)) >= limits.maxPerMerchant) {
    throw hashtagLimitReached(limits.maxPerMerchant);
  }
  const clash = await repo.hashtagClash(tx, key, skeleton, productId);
  if (clash === 'taken') throw hashtagTaken(hashtag);
  if (clash === 'look_alike') throw hashtagLookAlike(hashtag);
  const budget = ruleBudget([...(await repo.activeHashtags(tx, productId)), hashtag], limits.mention, limits.maxRules, limits.cancelShop ?? null);
  if (budget.rules > budget.maxRules) throw streamRulesFull();
  return { hashtag, hashtag_key: key, hashtag_skeleton: skeleton };
}

export const hashtagTaken = (tag: string) =>
  errors.conflict('hashtag_taken', `The hashtag #${tag} is already used by a live product; hashtags are unique across all merchants, ignoring case`, { hashtag: `#${tag}` });

export const hashtagLookAlike = (tag: string) =>
  errors.conflict(
    'hashtag_look_alike',
    `The hashtag #${tag} looks too much like a hashtag already used by a live product (look-alike letters from other scripts, digits for letters, accents or case); choose a clearly different hashtag`,
    { hashtag: `#${tag}` },
  );

const RESERVED_FOR = { cancel: 'canceling an order', confirm: 'confirming an order' } as const;

export const hashtagReserved = (tag: string, reserved: (typeof RESERVED_HASHTAGS)[number]) =>
  new AppError(
    400, 'hashtag_reserved', 'Hashtag reserved',
    `The hashtag #${tag} is reserved: buyers post #${reserved} when ${RESERVED_FOR[reserved]}, so no product may use it or a look-alike of it`,
    { hashtag: `#${tag}`, errors: [{ field: 'hashtag', message: `#${reserved} is reserved for buyers ${RESERVED_FOR[reserved]}` }] },
  );

const hashtagLimitReached = (limit: number) =>
  errors.conflict('hashtag_limit_reached', `A merchant may have at most ${limit} live products, each with its hashtag; archive one before adding another`, { limit });

const streamRulesFull = () =>
  errors.conflict(
    'stream_rules_full',
    'The service cannot follow another hashtag on X: its stream rules are full. Archive products you no longer sell, or ask the operator to raise the rule budget',
  );
