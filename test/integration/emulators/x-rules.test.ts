import { startXEmulator, type XEmulator } from '../../../emulators/x';
import { evaluate, parseRule, RuleSyntaxError, type MatchSubject } from '../../../emulators/x/rules';
import { extractEntities } from '../../../emulators/x/entities';

function subject(text: string, extra: Partial<MatchSubject> = {}): MatchSubject {
  const e = extractEntities(text);
  return {
    text: text.toLowerCase(),
    hashtags: new Set((e.hashtags ?? []).map((h) => h.tag.toLowerCase())),
    cashtags: new Set((e.cashtags ?? []).map((h) => h.tag.toLowerCase())),
    mentions: new Set((e.mentions ?? []).map((m) => m.username.toLowerCase())),
    authorId: '1',
    authorUsername: 'buyer',
    isRetweet: false,
    isQuote: false,
    isReply: false,
    hasLinks: Boolean(e.urls?.length),
    conversationId: '10',
    ...extra,
  };
}

const matches = (rule: string, text: string, extra: Partial<MatchSubject> = {}): boolean => evaluate(parseRule(rule), subject(text, extra));

describe('X rule language', () => {
  it('matches keywords as tokens, phrases, hashtags and mentions case-insensitively', () => {
    expect(matches('mug', 'A blue Mug!')).toBe(true);
    expect(matches('mug', 'two mugs')).toBe(false);
    expect(matches('"blue mug"', 'a BLUE mug today')).toBe(true);
    expect(matches('"blue mug"', 'a blue big mug')).toBe(false);
    expect(matches('#BuyBlueMug', 'now #buybluemug')).toBe(true);
    expect(matches('#BuyBlueMug', 'now BuyBlueMug')).toBe(false);
    expect(matches('@Shop', 'hi @shop')).toBe(true);
    expect(matches('@shop', 'mail shop@example.com')).toBe(false);
  });

  it('gives AND precedence over OR and supports negated groups', () => {
    expect(matches('a b OR c', 'c')).toBe(true);
    expect(matches('a b OR c', 'a')).toBe(false);
    expect(matches('a (b OR c)', 'a c')).toBe(true);
    expect(matches('a -(b OR c)', 'a c')).toBe(false);
    expect(matches('a -(b OR c)', 'a d')).toBe(true);
    expect(matches('a or', 'a or')).toBe(true);
  });

  it('evaluates from:, to:, is: and has: operators', () => {
    expect(matches('from:BUYER #x', '#x')).toBe(true);
    expect(matches('from:1 #x', '#x')).toBe(true);
    expect(matches('from:someone #x', '#x')).toBe(false);
    expect(matches('to:shop #x', '#x', { isReply: true, replyToUsername: 'shop', replyToUserId: '2' })).toBe(true);
    expect(matches('#x -is:retweet', 'RT @a: #x', { isRetweet: true })).toBe(false);
    expect(matches('#x -is:quote', '#x', { isQuote: true })).toBe(false);
    expect(matches('#x is:reply', '#x', { isReply: true })).toBe(true);
    expect(matches('#x has:links', '#x https://example.com')).toBe(true);
  });

  it('rejects invalid rules with X-style details', () => {
    const invalid = ['-is:retweet', 'is:reply', '(a OR b', 'a OR', 'foo:bar', 'from:', '"open', ''];
    for (const rule of invalid) expect(() => parseRule(rule)).toThrow(RuleSyntaxError);
    try {
      parseRule('-#a');
    } catch (err) {
      expect((err as RuleSyntaxError).details).toContain('Rules must contain a non-negation term (at position 1)');
    }
  });
});

describe('rule limits over HTTP', () => {
  let emu: XEmulator;
  beforeAll(async () => {
    emu = await startXEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });

  it('refuses a rule longer than 1,024 characters and a query longer than 512', async () => {
    const headers = { authorization: 'Bearer app', 'content-type': 'application/json' };
    const long = `#a ${'x'.repeat(1024)}`;
    const res = await fetch(`${emu.url}/2/tweets/search/stream/rules`, { method: 'POST', headers, body: JSON.stringify({ add: [{ value: long }] }) });
    const body = (await res.json()) as { errors: Array<{ title: string }>; meta: { summary: { invalid: number } } };
    expect(body.errors[0]?.title).toBe('UnprocessableEntity');
    expect(body.meta.summary.invalid).toBe(1);
    expect(emu.rules()).toEqual([]);
    const search = await fetch(`${emu.url}/2/tweets/search/recent?query=${'a'.repeat(513)}`, { headers });
    expect(search.status).toBe(400);
    const rl = search.headers.get('x-rate-limit-remaining');
    expect(Number(rl)).toBe(449);
  });
});
