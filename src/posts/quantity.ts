import { withoutInvisible } from '../products/hashtag';

/**
 * Reads how many units a post asks for: "#BuyBlueMug x2", "#BuyBlueMug ×2", "2 #BuyBlueMug",
 * "2x #BuyBlueMug". Only numbers next to the hashtag count; a post that says two different
 * things, or a number that is not a whole positive count, is ambiguous and never guessed.
 */
export type Quantity = { kind: 'ok'; quantity: number } | { kind: 'ambiguous'; reason: string };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function parseQuantity(text: string, hashtag: string): Quantity {
  // Invisible characters never count: matching drops them from the hashtag too.
  const clean = withoutInvisible(text).replace(/https?:\/\/\S+/g, ' ');
  const tag = new RegExp(`[#＃]${escape(hashtag)}(?![\\p{L}\\p{M}\\p{Nd}_])`, 'giu');
  const found = new Set<string>();
  let occurrences = 0;
  for (const m of clean.matchAll(tag)) {
    occurrences++;
    const before = clean.slice(0, m.index);
    const after = clean.slice(m.index + m[0].length);
    const a = /^\s*(?:[x×*]\s*)(-?[\d.,]+)(?![\p{L}\d])/iu.exec(after) ?? /^\s+(-?[\d.,]+)\s*[x×](?![\p{L}\d])/iu.exec(after);
    const b = /(?:^|\s)(-?[\d.,]+)\s*[x×*]?\s*$/iu.exec(before);
    if (a) found.add(a[1]!);
    if (b) found.add(b[1]!);
  }
  if (occurrences === 0) return { kind: 'ambiguous', reason: 'hashtag not in text' };
  if (found.size === 0) return { kind: 'ok', quantity: 1 };
  if (found.size > 1) return { kind: 'ambiguous', reason: `several quantities: ${[...found].join(', ')}` };
  const raw = [...found][0]!;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) return { kind: 'ambiguous', reason: `unreadable quantity "${raw}"` };
  return { kind: 'ok', quantity: Number(raw) };
}
