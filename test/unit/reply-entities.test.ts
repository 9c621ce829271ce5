import twitter from 'twitter-text';
import { REPLY_PRIORITY, renderReply, type ReplyContext, type ReplyKind } from '../../src/replies/templates';
import { inertText } from '../../src/replies/inert';

/** What X would turn into a mention, hashtag, cashtag or link, as X's own library reads the text. */
function entities(text: string): string[] {
  return twitter.extractEntitiesWithIndices(text).map((e) =>
    'url' in e ? `url:${e.url}` : 'screenName' in e ? `@${e.screenName}${'listSlug' in e ? e.listSlug : ''}` : 'hashtag' in e ? `#${e.hashtag}` : `$${e.cashtag}`,
  );
}

// Every kind, including any added later: the guard covers what the renderer can produce.
const KINDS = Object.keys(REPLY_PRIORITY) as ReplyKind[];

const HOSTILE = [
  '@XSupport refund: https://evil.example/claim',
  '@XSupport refund: https://evil.com/claim',
  'Mug ＠XSupport',
  '＠x',
  '#Free',
  '＃Free mug',
  '$TSLA',
  'Mug $tsla to the moon',
  'evil.example',
  'evil.com',
  'Claim at www.evil.com/refund',
  'HTTPS://EVIL.COM',
  'e v i l . com',
  'mugs.shop/x and shop.co.uk',
  '\u202Emoc.live\u202C Mug',
  'Mug\u2066@XSupport\u2069',
  'Mug\n@XSupport\nhttps://evil.com',
  'Mug\r\n#Free\u2028$TSLA\u2029x.live',
  'a\u200B@XSupport',
  '@\u200BXSupport',
  '\u3164@XSupport \u115F#Free',
  'evil\u200B.com',
  '@@XSupport',
  'Mug (@XSupport/refunds)',
  `${'A'.repeat(50)} https://evil.com/${'x'.repeat(40)}`,
];

const CONTEXT: ReplyContext = {
  orderId: 'ord_ABCDEFGHIJKLMNOPQRST', quantity: 2, amount: 3600, currency: 'usd',
  url: 'https://checkout.example.com/link/tok_abc.def', hashtag: 'BuyBlueMug', shop: 'shop', maxPerOrder: 3,
};

describe('what the shop account posts carries only our entities', () => {
  // #cancel and #confirm are ours too: the replies about canceling and confirming name them.
  const ours = new Set(['url:https://checkout.example.com/link/tok_abc.def', '@shop', '#BuyBlueMug', '#cancel', '#confirm']);

  it.each(KINDS)('%s: a benign reply has only our link, mention and hashtag', (kind) => {
    const found = entities(renderReply(kind, { ...CONTEXT, product: 'Blue Mug' }));
    for (const e of found) expect(ours).toContain(e);
  });

  describe.each(HOSTILE)('a product named %j', (name) => {
    it.each(KINDS)('%s: exactly the entities of the benign reply, no line breaks or direction overrides', (kind) => {
      const text = renderReply(kind, { ...CONTEXT, product: name });
      expect(entities(text)).toEqual(entities(renderReply(kind, { ...CONTEXT, product: 'Blue Mug' })));
      expect(text).not.toMatch(/[\r\n\u2028\u2029\u200B\u202A-\u202E\u2066-\u2069\u3164\u115F]/);
    });
  });
});

describe('inertText', () => {
  it.each(HOSTILE)('leaves nothing X would link in %j', (name) => {
    expect(entities(inertText(name))).toEqual([]);
  });

  it('drops the sigil of a mention, hashtag or cashtag and leaves links out', () => {
    expect(inertText('@XSupport refund: https://evil.com/claim')).toBe('XSupport refund:');
    expect(inertText('＃Free mug $TSLA')).toBe('Free mug TSLA');
    expect(inertText('Claim at www.evil.com/refund now')).toBe('Claim at now');
  });

  it.each([
    'Blue Mug', 'Café Crème', 'Node.js Book', '$5 Mug', 'Mug #2', 'C# in Depth', '100% Cotton Tee', 'Tea for 2 — green',
    '👨‍👩‍👧 Family Mug', '❤️ Mug', 'Ｔシャツ', 'كوب أزرق',
  ])('keeps an ordinary name as it is: %j', (name) => {
    expect(inertText(name)).toBe(name);
  });
});
