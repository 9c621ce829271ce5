import twitter from 'twitter-text';

/**
 * Merchant text made inert for the shop account's public posts (DESIGN invariant 6): whatever a
 * merchant names a product, the reply carries no mention, hashtag, cashtag or link of theirs,
 * and no line break or direction override that would change how the post reads. X parses posts
 * with twitter-text, so twitter-text decides what counts as an entity here too.
 */

/** Line breaks, controls and bidi controls (an override can show `moc.live` as `evil.com`). */
const LAYOUT = /[\p{Cc}\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]$/u;
const SIGILS = /[@＠#＃$＄]/g;
const MAX_ROUNDS = 4;

/**
 * Invisible characters go (X may drop them and then find `@<U+200B>XSupport` a mention), except the joiner
 * and presentation selector inside an emoji, which only change how the emoji is drawn.
 */
function dropInvisible(text: string): string {
  return text.replace(INVISIBLE, (ch, offset: number) => {
    const before = text.slice(Math.max(0, offset - 2), offset);
    return (ch === '\u200D' || ch === '\uFE0F') && PICTOGRAPH.test(before) ? ch : '';
  });
}

function tidy(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** A mention, hashtag or cashtag loses its sigil; a link is left out (a broken link still reads as one). */
function defuse(text: string, found: twitter.EntityWithIndices[]): string {
  let out = text;
  for (const e of [...found].sort((a, b) => b.indices[0] - a.indices[0])) {
    const [start, end] = e.indices;
    out = 'url' in e ? `${out.slice(0, start)} ${out.slice(end)}` : `${out.slice(0, start)}${out.slice(start).replace(/^[@＠#＃$＄]/, '')}`;
  }
  return tidy(out);
}

// A flash sale renders the same few product names thousands of times: remember the answers.
const CACHE_SIZE = 1000;
const cache = new Map<string, string>();

export function inertText(input: string): string {
  let known = cache.get(input);
  if (known === undefined) {
    if (cache.size >= CACHE_SIZE) cache.clear();
    known = makeInert(input);
    cache.set(input, known);
  }
  return known;
}

function makeInert(input: string): string {
  let text = tidy(dropInvisible(input.normalize('NFC').replace(LAYOUT, ' ')));
  // Removing one entity can bring another into view (`@@x`, `evil.com.evil.com`): repeat until none is left.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = twitter.extractEntitiesWithIndices(text);
    if (found.length === 0) return text;
    text = defuse(text, found);
  }
  text = tidy(text.replace(SIGILS, '').replace(/[.．。｡]/g, ' '));
  return twitter.extractEntitiesWithIndices(text).length === 0 ? text : '';
}

/** The product's own hashtag is ours to show only if X reads `#tag` as exactly that one hashtag. */
function ownHashtag(tag: string): string | undefined {
  const found = twitter.extractEntitiesWithIndices(`#${tag}`);
  return found.length === 1 && 'hashtag' in found[0]! && found[0].hashtag === tag ? tag : undefined;
}

/** The merchant-controlled fields of a reply (product name, hashtag), each made inert. */
export function inertFields<T extends { product?: string; hashtag?: string }>(fields: T): T {
  const product = fields.product === undefined ? undefined : inertText(fields.product) || undefined;
  const hashtag = fields.hashtag === undefined ? undefined : ownHashtag(fields.hashtag);
  return { ...fields, product, hashtag };
}

/**
 * A merchant's tracking link, posted only if X reads it as exactly one https link and nothing
 * else (no mention or hashtag hiding in it); otherwise undefined and the reply goes without it.
 */
export function postableLink(url: string): string | undefined {
  if (!/^https:\/\/\S+$/.test(url) || url.search(LAYOUT) >= 0 || url.search(INVISIBLE) >= 0) return undefined;
  const found = twitter.extractEntitiesWithIndices(url);
  const only = found[0];
  return found.length === 1 && only && 'url' in only && only.url === url ? url : undefined;
}
