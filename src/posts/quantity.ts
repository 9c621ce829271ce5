import { withoutInvisible } from '../products/hashtag';

/**
 * Reads how many units a post asks for. The grammar, decided once (and in the README):
 *
 *   after the hashtag:  #Tag x2   #Tag X2   #Tag ×2   #Tag *2   #Tag x 2   #Tag 2x   #Tag 2 x
 *   before the hashtag: 2 #Tag    2x #Tag   2× #Tag   2 x #Tag
 *   N: ASCII digits 1..9999, no sign, no leading zero, no decimal point, exponent or separator,
 *      optionally followed by sentence punctuation ("x2!").
 *
 * No quantity next to the hashtag means one unit. Anything next to the hashtag that looks like a
 * number but is outside the grammar (-1, 1e9, x1e9, x２, 1.5x, a bare "#Tag 5" that may be a
 * rating or a size) is ambiguous, and so is a post that asks for two different quantities: a
 * quantity is never guessed, the buyer gets the how-to-buy reply instead.
 */
export type Quantity = { kind: 'ok'; quantity: number } | { kind: 'ambiguous'; reason: string };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const COUNT = /^[1-9]\d{0,3}$/;
const TIMES = /^[x×*]$/i;
/** Sentence punctuation a count may end with ("x2!", "2x,"), but not a decimal part. */
const TRAILING = /[.,!?;:)\]]+$/;
/** A token that starts like a number, whatever the script or sign: it is a quantity or it is ambiguous. */
const NUMERIC_LOOKING = /^[x×*]?[+\-−±]?\p{Nd}/iu;

type Reading = { quantity: string } | { unreadable: string } | null;

const trimPunct = (token: string) => token.replace(TRAILING, '');

/** What the tokens right after the hashtag say. */
function readAfter(tokens: string[]): Reading {
  const [first, second] = tokens;
  if (!first) return null;
  const word = trimPunct(first);
  if (TIMES.test(word)) {
    // "x 5": the count is the next token; "x please" says nothing.
    if (second && NUMERIC_LOOKING.test(second)) return COUNT.test(trimPunct(second)) ? { quantity: trimPunct(second) } : { unreadable: second };
    return null;
  }
  const prefixed = /^[x×*](.+)$/iu.exec(word);
  if (prefixed && /^[+\-−±]?\p{Nd}/u.test(prefixed[1]!)) return COUNT.test(prefixed[1]!) ? { quantity: prefixed[1]! } : { unreadable: first };
  const suffixed = /^(.+?)[x×]$/iu.exec(word);
  if (suffixed && COUNT.test(suffixed[1]!)) return { quantity: suffixed[1]! };
  if (NUMERIC_LOOKING.test(word)) {
    // "3 x" reads as three; a bare number after the tag ("#Tag 5") is not a quantity.
    if (COUNT.test(word) && second && TIMES.test(trimPunct(second))) return { quantity: word };
    return { unreadable: first };
  }
  return null;
}

/** What the tokens right before the hashtag say (nearest last). */
function readBefore(tokens: string[]): Reading {
  const last = tokens.at(-1);
  if (!last) return null;
  if (TIMES.test(last)) {
    const count = tokens.at(-2);
    if (count && NUMERIC_LOOKING.test(count)) return COUNT.test(count) ? { quantity: count } : { unreadable: count };
    return null;
  }
  const counted = /^(.+?)[x×*]?$/iu.exec(last)![1]!;
  if (COUNT.test(counted)) return { quantity: counted };
  return NUMERIC_LOOKING.test(last) ? { unreadable: last } : null;
}

const words = (s: string) => s.split(/\s+/u).filter(Boolean);

export function parseQuantity(text: string, hashtag: string): Quantity {
  // Invisible characters never count: matching drops them from the hashtag too.
  const clean = withoutInvisible(text).replace(/https?:\/\/\S+/g, ' ');
  const tag = new RegExp(`[#＃]${escape(hashtag)}(?![\\p{L}\\p{M}\\p{Nd}_])`, 'giu');
  const found = new Set<string>();
  let occurrences = 0;
  for (const m of clean.matchAll(tag)) {
    occurrences++;
    // Sentence punctuation right after the tag ("#Tag, x2", "#Tag! love it") is skipped; whatever
    // is glued to it ("#Tag×2", "#Tag-1") is read like a separate word.
    const after = clean.slice(m.index + m[0].length).replace(/^[.,;:!?]+/u, '');
    const readings = [readAfter(words(after).slice(0, 2)), readBefore(words(clean.slice(0, m.index)).slice(-2))];
    for (const r of readings) {
      if (r && 'unreadable' in r) return { kind: 'ambiguous', reason: `unreadable quantity "${r.unreadable}"` };
      if (r) found.add(r.quantity);
    }
  }
  if (occurrences === 0) return { kind: 'ambiguous', reason: 'hashtag not in text' };
  if (found.size === 0) return { kind: 'ok', quantity: 1 };
  if (found.size > 1) return { kind: 'ambiguous', reason: `several quantities: ${[...found].join(', ')}` };
  return { kind: 'ok', quantity: Number([...found][0]) };
}
