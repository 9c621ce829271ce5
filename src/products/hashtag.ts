import unhomoglyph from 'unhomoglyph';

/**
 * X's hashtag rules: letters (any script), marks, digits and underscore; not only digits;
 * at most 100 characters. Matching is case-insensitive after NFKC.
 */
const HASHTAG_BODY = /^[\p{L}\p{M}\p{Nd}_]+$/u;
/**
 * Invisible code points (U+034F, variation selectors, Mongolian FVS, Hangul fillers, ZWJ ...).
 * X counts several of them as letters or marks, so a tag can carry them unseen: they are refused
 * at registration and dropped before matching, so `#BuyBlueMug` + U+034F is `#BuyBlueMug`.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const COMBINING_DIACRITICS = /[\u0300-\u036f]/g;

export function stripHash(input: string): string {
  return input.trim().replace(/^[#＃]/, '');
}

export function withoutInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

export function hashtagProblem(tag: string): string | null {
  if (tag.length === 0) return 'must not be empty';
  if ([...tag].length > 100) return 'must be at most 100 characters';
  if (withoutInvisible(tag) !== tag) return 'must not contain invisible characters (such as U+034F, variation selectors or Hangul fillers)';
  if (!HASHTAG_BODY.test(tag)) return 'may contain only letters, digits and underscores';
  if (/^[\p{Nd}_]+$/u.test(tag)) return 'must contain at least one letter';
  return null;
}

/** Upper-then-lower approximates Unicode full case folding (ß → ss, final sigma). */
const fold = (s: string) => s.toUpperCase().toLowerCase();

/** What matching compares: NFKC, invisible characters dropped, case folded. */
export function hashtagKey(tag: string): string {
  return fold(withoutInvisible(stripHash(tag).normalize('NFKC'))).normalize('NFKC');
}

/** UTS #39 skeleton: decompose, map each confusable to its prototype (confusables.txt), decompose. */
const skeleton = (s: string) => unhomoglyph(s.normalize('NFD')).normalize('NFD');

/**
 * Two live hashtags may not share this key: it is what a hashtag looks like, not what it spells.
 * The skeleton is taken before case folding (so capital I, which looks like l, maps to l) and
 * again after it (so case does not matter); combining accents are dropped, so `Mügs`, `Mugs` and
 * a dotted `İ` for `l` collide. Cyrillic, Greek and digit look-alikes map through the skeleton.
 */
export function hashtagSkeleton(tag: string): string {
  const visible = withoutInvisible(stripHash(tag).normalize('NFKC'));
  return skeleton(fold(skeleton(visible))).replace(COMBINING_DIACRITICS, '').normalize('NFC');
}
