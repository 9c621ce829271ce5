import { withoutInvisible } from '../products/hashtag';

/**
 * Reads which variant a post asks for from the words in it, the way live-selling tools read a
 * comment ("#BuyTee M black"). Pure: no database, so the whole grammar is one table test.
 *
 *  - A word (or a run of up to three words) names an option value when it equals the value or one
 *    of the merchant's synonyms for it, compared after Unicode NFKC and case folding, ignoring
 *    invisible characters and the punctuation around it. Anywhere in the post, in any order.
 *  - Mentions, hashtags and links are never option words; other words ("please", "x2") are ignored.
 *  - Two different values of one option ("M L") is ambiguous: nothing is guessed.
 *  - The values named pick the variant when exactly one live variant carries them all, so a
 *    product whose size M only comes in black sells "M" as M/black. None: that combination is not
 *    offered. Several: something is missing.
 *
 * The words used are reported (as character ranges of the post) so the quantity reader does not
 * take a size such as "42" for a count.
 */

export interface OptionValue { value: string; synonyms: string[] }
export interface ProductOption { name: string; values: OptionValue[] }
export interface VariantChoice { id: string; options: Record<string, string> }

export type VariantReading =
  | { kind: 'ok'; variantId: string; used: Array<[number, number]> }
  /** Several variants fit what was named: the options still to name, and what was understood. */
  | { kind: 'missing'; missing: string[]; chosen: Record<string, string>; suggestions: string[] }
  /** One option was given two different values. */
  | { kind: 'ambiguous'; option: string; values: string[] }
  /** The values named are not a combination the product is sold in. */
  | { kind: 'unavailable'; chosen: Record<string, string> };

/** NFKC, then full case folding as far as JavaScript has it (upper then lower folds ß to ss). */
export function foldTerm(text: string): string {
  return withoutInvisible(text).normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

interface Word { folded: string; start: number; end: number }

// Full-width punctuation separates words too (a post is read before NFKC, so offsets stay true).
const WORD = /[^\s,;!?()[\]{}"“”«»|，；！？（）【】「」]+/gu;
const EDGE_PUNCT = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;
const NOT_AN_OPTION_WORD = /^(?:[#＃@＠$＄]|https?:\/\/)/iu;

function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    const raw = withoutInvisible(m[0]);
    if (NOT_AN_OPTION_WORD.test(raw.normalize('NFKC'))) continue;
    const folded = foldTerm(raw).replace(EDGE_PUNCT, '');
    // Punctuation inside a value ("1/2", "x-large") stays: only what surrounds it goes.
    if (folded) words.push({ folded, start: m.index, end: m.index + m[0].length });
  }
  return words;
}

interface Term { option: string; value: string; words: string[] }

/** Every value and synonym as folded words, longest first so "extra large" wins over "large". */
function termsOf(options: ProductOption[]): Term[] {
  const terms = options.flatMap((o) => o.values.flatMap((v) => [v.value, ...v.synonyms].map((t) => ({
    option: o.name, value: v.value, words: foldTerm(t).replace(EDGE_PUNCT, '').split(' ').filter(Boolean),
  }))));
  return terms.filter((t) => t.words.length > 0).sort((a, b) => b.words.length - a.words.length);
}

/** Edit distance of at most one (a typo: one letter wrong, missing or extra). */
function nearlyEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const [x, y] = a.length <= b.length ? [[...a], [...b]] : [[...b], [...a]];
  if (y.length - x.length > 1) return false;
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const rest = (from: string[], skip: number) => from.slice(i + skip).join('');
  return x.length === y.length ? rest(x, 1) === rest(y, 1) : rest(x, 0) === rest(y, 1);
}

export function readVariant(text: string, options: ProductOption[], variants: VariantChoice[]): VariantReading {
  const words = wordsOf(text);
  const terms = termsOf(options);
  const taken = new Set<number>();
  const named = new Map<string, Set<string>>();
  const used: Array<[number, number]> = [];
  for (const term of terms) {
    const n = term.words.length;
    for (let i = 0; i + n <= words.length; i++) {
      const span = words.slice(i, i + n);
      if (span.some((_, k) => taken.has(i + k)) || span.some((w, k) => w.folded !== term.words[k])) continue;
      for (let k = 0; k < n; k++) taken.add(i + k);
      used.push([span[0]!.start, span[n - 1]!.end]);
      const values = named.get(term.option) ?? new Set<string>();
      values.add(term.value);
      named.set(term.option, values);
    }
  }
  for (const option of options) {
    const values = named.get(option.name);
    if (values && values.size > 1) return { kind: 'ambiguous', option: option.name, values: [...values] };
  }
  const chosen: Record<string, string> = {};
  for (const [option, values] of named) chosen[option] = [...values][0]!;
  const fitting = variants.filter((v) => Object.entries(chosen).every(([option, value]) => v.options[option] === value));
  if (fitting.length === 1) return { kind: 'ok', variantId: fitting[0]!.id, used: used.sort((a, b) => a[0] - b[0]) };
  if (fitting.length === 0) return { kind: 'unavailable', chosen };
  const missing = options.filter((o) => !(o.name in chosen)).map((o) => o.name);
  // "did you mean": values of a missing option one typo away from a word nobody claimed.
  const loose = words.filter((_, i) => !taken.has(i) && [..._.folded].length >= 3);
  const suggestions = options.filter((o) => missing.includes(o.name)).flatMap((o) => o.values
    .filter((v) => [v.value, ...v.synonyms].some((t) => loose.some((w) => nearlyEqual(w.folded, foldTerm(t)))))
    .map((v) => v.value));
  return { kind: 'missing', missing, chosen, suggestions: [...new Set(suggestions)] };
}

/** The post with the words that named the variant blanked out: what the quantity reader sees. */
export function withoutOptionWords(text: string, used: Array<[number, number]>): string {
  let out = text;
  for (const [start, end] of [...used].sort((a, b) => b[0] - a[0])) out = `${out.slice(0, start)}${' '.repeat(end - start)}${out.slice(end)}`;
  return out;
}

/** "M / black": a variant as buyers and merchants read it, in the product's option order. */
export function variantLabel(options: ProductOption[], chosen: Record<string, string>): string {
  return options.map((o) => chosen[o.name]).filter((v): v is string => v !== undefined).join(' / ');
}
