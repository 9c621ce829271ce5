/**
 * Entity extraction close to twitter-text: X returns hashtag/mention/url entities with
 * start/end offsets counted in Unicode code points, not UTF-16 units.
 */

export interface HashtagEntity { start: number; end: number; tag: string }
export interface MentionEntity { start: number; end: number; username: string; id?: string }
export interface UrlEntity { start: number; end: number; url: string; expanded_url: string; display_url: string }
export interface CashtagEntity { start: number; end: number; tag: string }
export interface Entities {
  hashtags?: HashtagEntity[];
  mentions?: MentionEntity[];
  urls?: UrlEntity[];
  cashtags?: CashtagEntity[];
}

// A hashtag may not follow a letter, digit, underscore or '&' (so "a#b" and "&#39;" are not tags).
const HASHTAG = /(^|[^\p{L}\p{M}\p{N}_&])([#\uFF03])((?:[\p{L}\p{M}\p{N}_\u00b7]|\u200c|\u200d)+)/gu;
const MENTION = /(^|[^\p{L}\p{N}_!#$%&*@\uFF20])([@\uFF20])([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@\uFF20])/gu;
const URL_RE = /(^|[\s(])(https?:\/\/[^\s<>"]+[^\s<>".,:;!?)'\]])/gu;
const CASHTAG = /(^|\s)\$([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)(?=$|\s|[.,:;!?])/gu;

/** Code-point offset of a UTF-16 index. */
function cp(text: string, utf16Index: number): number {
  let count = 0;
  for (let i = 0; i < utf16Index; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) i++;
    count++;
  }
  return count;
}

export function codePointLength(text: string): number {
  return cp(text, text.length);
}

export function extractEntities(text: string, resolveUserId?: (username: string) => string | undefined): Entities {
  const entities: Entities = {};
  const hashtags: HashtagEntity[] = [];
  for (const m of text.matchAll(HASHTAG)) {
    const tag = m[3] ?? '';
    // All-digit tags (#123) are not hashtags on X.
    if (!/[^\p{N}]/u.test(tag) || !/[\p{L}\p{M}_]/u.test(tag)) continue;
    const startUtf16 = (m.index ?? 0) + (m[1] ?? '').length;
    const start = cp(text, startUtf16);
    hashtags.push({ start, end: start + codePointLength(`#${tag}`), tag });
  }
  const mentions: MentionEntity[] = [];
  for (const m of text.matchAll(MENTION)) {
    const username = m[3] ?? '';
    const startUtf16 = (m.index ?? 0) + (m[1] ?? '').length;
    const start = cp(text, startUtf16);
    const mention: MentionEntity = { start, end: start + 1 + username.length, username };
    const id = resolveUserId?.(username);
    if (id) mention.id = id;
    mentions.push(mention);
  }
  const urls: UrlEntity[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const url = m[2] ?? '';
    const startUtf16 = (m.index ?? 0) + (m[1] ?? '').length;
    const start = cp(text, startUtf16);
    urls.push({
      start,
      end: start + codePointLength(url),
      url,
      expanded_url: url,
      display_url: url.replace(/^https?:\/\//, '').slice(0, 30),
    });
  }
  const cashtags: CashtagEntity[] = [];
  for (const m of text.matchAll(CASHTAG)) {
    const tag = m[2] ?? '';
    const startUtf16 = (m.index ?? 0) + (m[1] ?? '').length;
    const start = cp(text, startUtf16);
    cashtags.push({ start, end: start + 1 + tag.length, tag });
  }
  // Hashtags inside URLs (https://x.com/#frag) are not hashtags.
  const inUrl = (start: number): boolean => urls.some((u) => start >= u.start && start < u.end);
  const tags = hashtags.filter((h) => !inUrl(h.start));
  const people = mentions.filter((h) => !inUrl(h.start));
  if (tags.length) entities.hashtags = tags;
  if (people.length) entities.mentions = people;
  if (urls.length) entities.urls = urls;
  if (cashtags.length) entities.cashtags = cashtags;
  return entities;
}
