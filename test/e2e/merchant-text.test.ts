import twitter from 'twitter-text';
import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(120_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  key = (await s.createMerchant('Mug Co')).apiKey;
});
afterAll(async () => {
  await s?.close();
});

const HOSTILE_NAME = '@XSupport refund: https://evil.com/claim #Free $TSLA';

/** Entities as the X emulator recorded them for the post, and as X's own library reads its text. */
function entitiesOf(post: Record<string, unknown>) {
  return { recorded: post.entities ?? {}, parsed: twitter.extractEntitiesWithIndices(String(post.text)).map((e) => ('url' in e ? e.url : 'screenName' in e ? `@${e.screenName}` : 'hashtag' in e ? `#${e.hashtag}` : `$${e.cashtag}`)) };
}

describe('a product named to make the shop post a mention and a link (end to end)', () => {
  it('the receipt and the signup link X received carry no entity the merchant wrote', async () => {
    await s.createProduct(key, { name: HOSTILE_NAME, hashtag: 'BuyEvilMug', unit_amount: 1800, currency: 'usd', inventory: 10 });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyEvilMug')), 15_000, 'stream rule');

    const linked = await s.buyer('linked');
    const bought = s.post({ author_id: linked.id, text: '@shop #BuyEvilMug' });
    const [receipt] = await eventually(() => (s.repliesTo(bought.id).length ? s.repliesTo(bought.id) : null), 20_000, 'receipt');
    expect(receipt!.text).toMatch(/^Paid: XSupport refund: Free TSLA \(\$18\.00\)\. Order ord_/);
    expect(entitiesOf(receipt!)).toEqual({ recorded: {}, parsed: [] });

    const stranger = await s.buyer('stranger', null);
    const asked = s.post({ author_id: stranger.id, text: '@shop #BuyEvilMug' });
    const [signup] = await eventually(() => (s.repliesTo(asked.id).length ? s.repliesTo(asked.id) : null), 20_000, 'signup reply');
    const link = /(http:\/\/\S+\/link\/\S+)/.exec(signup!.text)![1]!;
    // Our own link is the one entity (twitter-text does not link a bare IP address; X would).
    const { recorded, parsed } = entitiesOf(signup!);
    expect(parsed.filter((e) => e !== link)).toEqual([]);
    expect(Object.keys(recorded as object).filter((k) => k !== 'urls')).toEqual([]);
    for (const u of (recorded as { urls?: Array<{ url: string }> }).urls ?? []) expect(u.url).toBe(link);
    expect(signup!.text).not.toMatch(/evil|@XSupport|#Free|\$TSLA/);
  });
});
