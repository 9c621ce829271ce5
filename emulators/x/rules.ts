/**
 * A parser and evaluator for the subset of X's rule/query language this project relies on:
 * keywords, "exact phrases", #hashtag, @mention, $cashtag, from:, to:, is:retweet|quote|reply,
 * has:hashtags|mentions|links, conversation_id:, in_reply_to_tweet_id:, negation, implicit AND, OR and parentheses.
 * AND binds tighter than OR, as on X.
 */

export type RuleNode =
  | { kind: 'and'; items: RuleNode[] }
  | { kind: 'or'; items: RuleNode[] }
  | { kind: 'not'; item: RuleNode }
  | { kind: 'keyword'; value: string }
  | { kind: 'phrase'; value: string }
  | { kind: 'hashtag'; value: string }
  | { kind: 'cashtag'; value: string }
  | { kind: 'mention'; value: string }
  | { kind: 'from'; value: string }
  | { kind: 'to'; value: string }
  | { kind: 'is'; value: 'retweet' | 'quote' | 'reply' | 'verified' }
  | { kind: 'has'; value: 'hashtags' | 'mentions' | 'links' | 'cashtags' }
  | { kind: 'conversation_id'; value: string }
  | { kind: 'in_reply_to_tweet_id'; value: string };

/** What the evaluator needs to know about a post; built once per post. */
export interface MatchSubject {
  text: string; // lower-cased
  hashtags: Set<string>; // lower-cased, without '#'
  cashtags: Set<string>;
  mentions: Set<string>; // lower-cased usernames
  authorId: string;
  authorUsername: string; // lower-cased
  replyToUserId?: string;
  replyToUsername?: string; // lower-cased
  isRetweet: boolean;
  isQuote: boolean;
  isReply: boolean;
  hasLinks: boolean;
  conversationId: string;
  inReplyToTweetId?: string;
}

export class RuleSyntaxError extends Error {
  constructor(readonly details: string[]) {
    super(details.join('; '));
  }
}

type Token =
  | { t: 'lparen'; pos: number; neg: boolean }
  | { t: 'rparen'; pos: number }
  | { t: 'or'; pos: number }
  | { t: 'term'; pos: number; neg: boolean; raw: string; quoted: boolean };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (/\s/.test(c)) { i++; continue; }
    const pos = i + 1;
    let neg = false;
    if (c === '-' && i + 1 < input.length && !/\s/.test(input[i + 1] ?? '')) { neg = true; i++; }
    const d = input[i] ?? '';
    if (d === '(') { tokens.push({ t: 'lparen', pos, neg }); i++; continue; }
    if (d === ')') {
      if (neg) throw new RuleSyntaxError([`There were errors processing your request: no viable alternative at input '-)' (at position ${pos})`]);
      tokens.push({ t: 'rparen', pos }); i++; continue;
    }
    if (d === '"') {
      const end = input.indexOf('"', i + 1);
      if (end < 0) throw new RuleSyntaxError([`There were errors processing your request: unterminated quoted phrase (at position ${pos})`]);
      tokens.push({ t: 'term', pos, neg, raw: input.slice(i + 1, end), quoted: true });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < input.length && !/[\s()]/.test(input[j] ?? '')) {
      // An operator value may be quoted: from:"name" is unusual but legal.
      if (input[j] === '"') {
        const end = input.indexOf('"', j + 1);
        j = end < 0 ? input.length : end + 1;
        continue;
      }
      j++;
    }
    const raw = input.slice(i, j);
    if (raw === 'OR' && !neg) tokens.push({ t: 'or', pos });
    else tokens.push({ t: 'term', pos, neg, raw, quoted: false });
    i = j;
  }
  return tokens;
}

const CONJUNCTION_REQUIRED = new Set(['is', 'has']);

function termNode(raw: string, quoted: boolean, pos: number): RuleNode {
  if (quoted) {
    if (!raw.trim()) throw new RuleSyntaxError([`Empty quoted phrase (at position ${pos})`]);
    return { kind: 'phrase', value: raw.toLowerCase() };
  }
  const colon = raw.indexOf(':');
  if (colon > 0 && !/^https?:/i.test(raw)) {
    const op = raw.slice(0, colon).toLowerCase();
    const value = raw.slice(colon + 1).replace(/^"(.*)"$/, '$1');
    if (!value) throw new RuleSyntaxError([`There were errors processing your request: Operator '${op}' requires a value (at position ${pos + colon + 1})`]);
    switch (op) {
      case 'from':
      case 'to':
        return { kind: op, value: value.replace(/^@/, '').toLowerCase() };
      case 'is':
        if (value === 'retweet' || value === 'quote' || value === 'reply' || value === 'verified') return { kind: 'is', value };
        break;
      case 'has':
        if (value === 'hashtags' || value === 'mentions' || value === 'links' || value === 'cashtags') return { kind: 'has', value };
        break;
      case 'conversation_id':
      case 'in_reply_to_tweet_id':
        if (/^[0-9]{1,19}$/.test(value)) return { kind: op, value };
        break;
      default:
        break;
    }
    throw new RuleSyntaxError([`Reference to invalid operator '${op}:${value}'. Operator is not available in current product or product packaging. Please refer to complete available operator list at https://developer.twitter.com/en/docs/twitter-api/tweets/filtered-stream/integrate/build-a-rule. (at position ${pos})`]);
  }
  if (raw.length > 1 && (raw[0] === '#' || raw[0] === '\uFF03')) return { kind: 'hashtag', value: raw.slice(1).toLowerCase() };
  if (raw.length > 1 && (raw[0] === '@' || raw[0] === '\uFF20')) return { kind: 'mention', value: raw.slice(1).toLowerCase() };
  if (raw.length > 1 && raw[0] === '$' && /^[A-Za-z]/.test(raw.slice(1))) return { kind: 'cashtag', value: raw.slice(1).toLowerCase() };
  return { kind: 'keyword', value: raw.toLowerCase() };
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): RuleNode {
    if (!this.tokens.length) throw new RuleSyntaxError(['Rules must contain at least one positive, non-stopword clause (at position 1)']);
    const node = this.parseOr();
    const extra = this.tokens[this.i];
    if (extra) throw new RuleSyntaxError([`There were errors processing your request: mismatched input ')' (at position ${extra.pos})`]);
    return node;
  }

  private parseOr(): RuleNode {
    const items = [this.parseAnd()];
    while (this.tokens[this.i]?.t === 'or') {
      const or = this.tokens[this.i];
      this.i++;
      const next = this.tokens[this.i];
      if (!next || next.t === 'rparen' || next.t === 'or') {
        throw new RuleSyntaxError([`There were errors processing your request: Ambiguous use of or as a keyword. Use a space to logically join two clauses, or "or" to find occurrences of or in text (at position ${or?.pos ?? 1})`]);
      }
      items.push(this.parseAnd());
    }
    return items.length === 1 ? (items[0] as RuleNode) : { kind: 'or', items };
  }

  private parseAnd(): RuleNode {
    const items: RuleNode[] = [];
    for (;;) {
      const tok = this.tokens[this.i];
      if (!tok || tok.t === 'or' || tok.t === 'rparen') break;
      items.push(this.parseUnary());
    }
    if (!items.length) {
      const tok = this.tokens[this.i];
      throw new RuleSyntaxError([`There were errors processing your request: no viable alternative at input (at position ${tok?.pos ?? 1})`]);
    }
    return items.length === 1 ? (items[0] as RuleNode) : { kind: 'and', items };
  }

  private parseUnary(): RuleNode {
    const tok = this.tokens[this.i] as Token;
    this.i++;
    if (tok.t === 'lparen') {
      const inner = this.parseOr();
      if (this.tokens[this.i]?.t !== 'rparen') throw new RuleSyntaxError([`There were errors processing your request: missing ')' (at position ${tok.pos})`]);
      this.i++;
      return tok.neg ? { kind: 'not', item: inner } : inner;
    }
    if (tok.t !== 'term') throw new RuleSyntaxError([`There were errors processing your request: unexpected token (at position ${tok.pos})`]);
    const node = termNode(tok.raw, tok.quoted, tok.pos);
    return tok.neg ? { kind: 'not', item: node } : node;
  }
}

/** True when every way of satisfying the node needs at least one positive standalone clause. */
function hasPositiveStandalone(node: RuleNode): boolean {
  switch (node.kind) {
    case 'and': return node.items.some(hasPositiveStandalone);
    case 'or': return node.items.every(hasPositiveStandalone);
    case 'not': return false;
    case 'is':
    case 'has': return false;
    default: return !CONJUNCTION_REQUIRED.has(node.kind);
  }
}

export function parseRule(value: string): RuleNode {
  const ast = new Parser(tokenize(value)).parse();
  if (!hasPositiveStandalone(ast)) {
    throw new RuleSyntaxError([
      'Rules must contain a non-negation term (at position 1)',
      'Rules must contain at least one positive, non-stopword clause (at position 1)',
    ]);
  }
  return ast;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const boundaryCache = new Map<string, RegExp>();
/** Token match: the keyword must not be glued to letters/digits on either side ("cat" ≠ "cats"). */
function containsToken(text: string, needle: string): boolean {
  let re = boundaryCache.get(needle);
  if (!re) {
    re = new RegExp(`(?:^|[^\\p{L}\\p{M}\\p{N}_])${escapeRegExp(needle)}(?=$|[^\\p{L}\\p{M}\\p{N}_])`, 'u');
    if (boundaryCache.size > 5000) boundaryCache.clear();
    boundaryCache.set(needle, re);
  }
  return re.test(text);
}

export function evaluate(node: RuleNode, s: MatchSubject): boolean {
  switch (node.kind) {
    case 'and': return node.items.every((n) => evaluate(n, s));
    case 'or': return node.items.some((n) => evaluate(n, s));
    case 'not': return !evaluate(node.item, s);
    case 'keyword': return containsToken(s.text, node.value);
    case 'phrase': return containsToken(s.text, node.value.replace(/\s+/g, ' '));
    case 'hashtag': return s.hashtags.has(node.value);
    case 'cashtag': return s.cashtags.has(node.value);
    case 'mention': return s.mentions.has(node.value);
    case 'from': return s.authorUsername === node.value || s.authorId === node.value;
    case 'to': return s.replyToUsername === node.value || (s.replyToUserId !== undefined && s.replyToUserId === node.value);
    case 'is':
      if (node.value === 'retweet') return s.isRetweet;
      if (node.value === 'quote') return s.isQuote;
      if (node.value === 'reply') return s.isReply;
      return false;
    case 'has':
      if (node.value === 'hashtags') return s.hashtags.size > 0;
      if (node.value === 'mentions') return s.mentions.size > 0;
      if (node.value === 'cashtags') return s.cashtags.size > 0;
      return s.hasLinks;
    case 'conversation_id': return s.conversationId === node.value;
    case 'in_reply_to_tweet_id': return s.inReplyToTweetId === node.value;
  }
}
