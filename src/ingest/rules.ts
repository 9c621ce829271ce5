import { hashtagKey } from '../products/hashtag';

/** Our rules carry this tag, so a sync only ever deletes rules it created. */
export const RULE_TAG = 'hc:purchase';
export const OWN_TAG_PREFIX = 'hc:';
/** The rule that brings in buyers' `#cancel` posts carries its own tag: it is not a product's. */
export const CANCEL_RULE_TAG = 'hc:cancel';
/** Buyers cancel an order with this hashtag; no product may use it (hashtag-registry.ts). */
export const CANCEL_HASHTAG = 'cancel';
/** Buyers confirm an order that waits for it (issue 13, the confirm step); reserved like #cancel. */
export const CONFIRM_HASHTAG = 'confirm';
/** The buyers' own hashtags: never a product's, followed by the rule tagged CANCEL_RULE_TAG. */
export const RESERVED_HASHTAGS = [CANCEL_HASHTAG, CONFIRM_HASHTAG] as const;
export const MAX_RULES = 1000;
export const MAX_RULE_CHARS = 1024;
export const MAX_QUERY_CHARS = 512;

export interface ExistingRule { id: string; value: string; tag?: string }

/** What every rule and search query ends with: the mention (when required), never retweets or quotes. */
export function filterSuffix(mention: string | null): string {
  return `${mention ? ` @${mention}` : ''} -is:retweet -is:quote`;
}

/**
 * `(#cancel OR #confirm) @shop -is:retweet -is:quote`: always addressed to the shop, whatever
 * REQUIRE_MENTION says (a reply to the shop's post carries the mention on X), so the world's
 * #cancel and #confirm stay out. One rule for both: each rule spends from X's budget.
 */
export function cancelRule(shop: string): string {
  return clause([...RESERVED_HASHTAGS], filterSuffix(shop));
}

export function clause(tags: string[], suffix: string): string {
  const body = tags.length === 1 ? `#${tags[0]}` : `(${tags.map((t) => `#${t}`).join(' OR ')})`;
  return `${body}${suffix}`;
}

/** One hashtag per product, case- and width-insensitively unique, in a stable order. */
export function uniqueHashtags(hashtags: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const h of hashtags) {
    const tag = h.replace(/^[#＃]/, '').trim();
    const key = hashtagKey(tag);
    if (tag && !byKey.has(key)) byKey.set(key, tag);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}

/** Greedy packing of hashtags into OR-groups whose full text stays within maxChars. */
export function packClauses(hashtags: string[], suffix: string, maxChars: number): string[] {
  // clause()'s length, counted rather than built: the api packs every live hashtag per new product.
  const lengthOf = (tags: number, tagChars: number) => (tags === 1 ? tagChars : tagChars + 2 + 4 * (tags - 1)) + suffix.length;
  const out: string[] = [];
  let group: string[] = [];
  let groupChars = 0;
  for (const tag of hashtags) {
    const own = tag.length + 1;
    if (lengthOf(1, own) > maxChars) continue; // cannot happen with ≤100-char hashtags
    if (group.length && lengthOf(group.length + 1, groupChars + own) > maxChars) {
      out.push(clause(group, suffix));
      group = [];
      groupChars = 0;
    }
    group.push(tag);
    groupChars += own;
  }
  if (group.length) out.push(clause(group, suffix));
  return out;
}

const TAG_IN_RULE = /#([\p{L}\p{M}\p{Nd}_]+)/gu;

function tagsOf(value: string): string[] {
  return [...value.matchAll(TAG_IN_RULE)].map((m) => m[1]!);
}

export interface RulePlan {
  add: string[];
  /** Ids of our rules to delete. */
  remove: string[];
  /** Hashtags left without a rule because X's rule cap is reached. */
  dropped: string[];
  /** The `#cancel` rule to add (tagged CANCEL_RULE_TAG), or null when it is there already or not wanted. */
  cancel: string | null;
  /** Rules we will have after applying the plan. */
  total: number;
}

/**
 * Diff between our rules on X and the live hashtags. A rule is kept while it is exactly what we
 * would write for its hashtags and every one of them is still live; new hashtags go into new
 * rules, so adding a product is one rule change, not a rewrite of every rule. When that leaves
 * many more rules than a fresh packing would, everything is repacked.
 */
export function planRules(
  existing: ExistingRule[], hashtags: string[], mention: string | null, foreignRules = 0, maxRules = MAX_RULES, cancelShop: string | null = null,
): RulePlan {
  const suffix = filterSuffix(mention);
  const live = uniqueHashtags(hashtags);
  const liveKeys = new Set(live.map(hashtagKey));
  const ours = existing.filter((r) => r.tag?.startsWith(OWN_TAG_PREFIX) && r.tag !== CANCEL_RULE_TAG);
  // The #cancel rule comes before products' rules: it serves orders already paid.
  const wantCancel = cancelShop !== null && maxRules - foreignRules > 0 ? cancelRule(cancelShop) : null;
  const cancelRules = existing.filter((r) => r.tag === CANCEL_RULE_TAG);
  const keptCancel = wantCancel === null ? undefined : cancelRules.find((r) => r.value === wantCancel);
  const cancelRemove = cancelRules.filter((r) => r !== keptCancel).map((r) => r.id);
  const capacity = Math.max(0, maxRules - foreignRules - (wantCancel === null ? 0 : 1));
  const covered = new Set<string>();
  const kept: ExistingRule[] = [];
  const remove: string[] = [];
  for (const rule of ours) {
    const tags = tagsOf(rule.value);
    const keys = tags.map(hashtagKey);
    const ok = tags.length > 0 && clause(tags, suffix) === rule.value && keys.every((k) => liveKeys.has(k) && !covered.has(k));
    if (ok) {
      kept.push(rule);
      for (const k of keys) covered.add(k);
    } else {
      remove.push(rule.id);
    }
  }
  let add = packClauses(live.filter((t) => !covered.has(hashtagKey(t))), suffix, MAX_RULE_CHARS);
  const fresh = freshRules(live, suffix);
  if (kept.length + add.length > Math.max(fresh.length * 2, fresh.length + 10) || kept.length + add.length > capacity) {
    const target = new Set(fresh);
    const keep = new Set<string>();
    remove.length = 0;
    for (const rule of ours) {
      if (target.has(rule.value) && !keep.has(rule.value)) keep.add(rule.value);
      else remove.push(rule.id);
    }
    add = fresh.filter((v) => !keep.has(v));
    kept.length = 0;
    kept.push(...ours.filter((r) => keep.has(r.value)));
  }
  const dropped: string[] = [];
  const room = capacity - kept.length;
  if (add.length > room) {
    for (const v of add.slice(Math.max(0, room))) dropped.push(...tagsOf(v));
    add = add.slice(0, Math.max(0, room));
  }
  return {
    add, remove: [...remove, ...cancelRemove], dropped,
    cancel: wantCancel !== null && !keptCancel ? wantCancel : null,
    total: kept.length + add.length + (wantCancel === null ? 0 : 1),
  };
}

/** The fewest rules that cover these hashtags: what a full repack writes. */
function freshRules(live: string[], suffix: string): string[] {
  return packClauses(live, suffix, MAX_RULE_CHARS);
}

export interface RuleBudget {
  hashtags: number;
  rules: number;
  maxRules: number;
  chars: number;
  maxChars: number;
}

/**
 * How much of X's rule budget these hashtags take, packed exactly as planRules packs them: the
 * api refuses a product that would not fit, so the ingest never has to drop a hashtag.
 */
export function ruleBudget(hashtags: string[], mention: string | null, maxRules = MAX_RULES, cancelShop: string | null = null): RuleBudget {
  const live = uniqueHashtags(hashtags);
  const rules = [...(cancelShop === null ? [] : [cancelRule(cancelShop)]), ...freshRules(live, filterSuffix(mention))];
  return {
    hashtags: live.length,
    rules: rules.length,
    maxRules,
    chars: rules.reduce((n, r) => n + r.length, 0),
    maxChars: maxRules * MAX_RULE_CHARS,
  };
}

/** Recent-search queries covering every live hashtag (each ≤ 512 characters), and buyers' #cancel posts. */
export function searchQueries(hashtags: string[], mention: string | null, cancelShop: string | null = null): string[] {
  const queries = packClauses(uniqueHashtags(hashtags), filterSuffix(mention), MAX_QUERY_CHARS);
  return cancelShop === null ? queries : [...queries, cancelRule(cancelShop)];
}
