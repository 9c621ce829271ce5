import request from 'supertest';
import twitter from 'twitter-text';
import { startMoneyKit, type MoneyKit } from './kit';

// Every buyer told within X's limits (issue 13, section 2): when the sold-out notices waiting
// cannot all be posted one by one within 15 minutes at the budget X reports, the shop posts one
// public notice per product and the notices are recorded as covered by it.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

const FIFTEEN_MIN = 15 * 60_000;

/** X allows the shop `limit` posts per 15 minutes from now; the service has learned nothing yet. */
async function xAllows(limit: number | null): Promise<void> {
  kit.x.configure({ rate_limits: { tweets_post: limit === null ? null : { limit, windowMs: FIFTEEN_MIN } }, reset_rate_limits: true });
  const prefix = kit.rt.config.QUEUE_PREFIX;
  await kit.rt.redis.del(`${prefix}:x:replies:budget`, `${prefix}:x:replies:until`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // past the gate's per-process cache
}

/** One unit, bought by the first buyer; `late` more buyers post after it is gone. */
async function soldOutSale(hashtag: string, late: number, name = 'Mug'): Promise<{ productId: string; winner: string; latePosts: string[] }> {
  const productId = await kit.product(hashtag, { inventory: 1, name, waitlist: false });
  const winner = await kit.post(await kit.buyer(`${hashtag.toLowerCase()}_w`.slice(0, 15)), `@shop #${hashtag}`);
  await kit.runQueue('tweets');
  const latePosts: string[] = [];
  for (let i = 0; i < late; i++) latePosts.push(await kit.post(await kit.buyer(`${hashtag.toLowerCase().slice(0, 10)}_${i}`), `@shop #${hashtag}`));
  await kit.runQueue('tweets');
  await kit.runQueue('charges');
  for (const id of latePosts) expect(await kit.ordersOfPost(id)).toMatchObject([{ status: 'sold_out' }]);
  return { productId, winner, latePosts };
}

const shopPostsNotReplies = () => kit.x.tweets({ author_id: kit.shop.id }).filter((t) => !(t as { in_reply_to_tweet_id?: string }).in_reply_to_tweet_id
  && !(t as { referenced_tweets?: unknown[] }).referenced_tweets?.length);

describe('the aggregated sold-out notice', () => {
  afterEach(() => xAllows(null));

  it('when X budget cannot post every notice within 15 minutes, one public notice covers them, and the receipt still goes out', async () => {
    // Five posts per 15 minutes: the receipt spends one, leaving 4 + 5 in the next window, fewer than 12 notices.
    await xAllows(5);
    const before = shopPostsNotReplies().length;
    const { productId, winner, latePosts } = await soldOutSale('BuyCrowdMug', 12, 'Crowd Mug @evil #FreeMugs evil.com');
    await kit.runQueue('replies');

    // The receipt went first, as a reply.
    expect(kit.repliesOn(winner)).toEqual([expect.objectContaining({ text: expect.stringMatching(/^Paid: Crowd Mug/) })]);
    // One public post by the shop, about the product, linking its public page; no reply to any late post.
    const notices = shopPostsNotReplies().slice(before);
    expect(notices).toHaveLength(1);
    const text = notices[0]!.text;
    expect(text).toMatch(/^Crowd Mug evil FreeMugs is sold out\. 12 posts came after the last unit; nobody was charged for them\. Counts: http:\/\/\S+\/p\/prod_\w+$/);
    // Merchant text adds no mention, hashtag or link: the only entity is our own page's address.
    expect(twitter.extractMentions(text)).toEqual([]);
    expect(twitter.extractHashtags(text)).toEqual([]);
    expect(text).not.toContain('evil.com');
    expect(text.endsWith(`/p/${productId}`)).toBe(true);
    for (const id of latePosts) expect(kit.repliesOn(id)).toEqual([]);
    // Each late buyer's order says it was told by that notice.
    for (const id of latePosts) expect(await kit.ordersOfPost(id)).toMatchObject([{ status: 'sold_out', reply_status: 'aggregated' }]);
    // Two posts of the five: the receipt and the notice. The budget is left for what buyers must act on.
    expect(kit.x.tweets({ author_id: kit.shop.id }).length - before).toBe(2);

    // The page it links to shows counts only.
    const page = await request(kit.app).get(`/p/${productId}`).expect(200);
    expect(page.text).toMatch(/<dd id="units-left">0<\/dd>/);
    expect(page.text).toMatch(/<dd id="sold-out">12<\/dd>/);
    expect(page.text).toMatch(/<p id="sale-state">Sold out\.<\/p>/);
    expect(page.text).not.toMatch(/buycrowdmu_|buycrowdmug_w/i); // no buyer's handle
    await request(kit.app).get('/p/prod_doesnotexist').expect(404);

    // The notices' jobs run again (a retry, the sweep): nothing more is posted.
    const posted = kit.x.tweets({ author_id: kit.shop.id }).length;
    await kit.sweepAfterDelay();
    await kit.runQueue('replies');
    expect(kit.x.tweets({ author_id: kit.shop.id }).length).toBe(posted);

    // A latecomer after the notice is covered by it too: no second notice, no reply of its own.
    const latecomer = await kit.post(await kit.buyer('buycrowdmu_late'), '@shop #BuyCrowdMug');
    await kit.runQueue('tweets');
    await kit.runQueue('replies');
    expect(await kit.ordersOfPost(latecomer)).toMatchObject([{ status: 'sold_out', reply_status: 'aggregated' }]);
    expect(kit.repliesOn(latecomer)).toEqual([]);
    expect(kit.x.tweets({ author_id: kit.shop.id }).length).toBe(posted);
  }, 60_000);

  it('when X budget can post every notice within 15 minutes, each late buyer gets their own reply and no public notice is posted', async () => {
    await xAllows(100);
    const before = shopPostsNotReplies().length;
    const { winner, latePosts } = await soldOutSale('BuyCalmMug', 12);
    await kit.runQueue('replies');

    expect(kit.repliesOn(winner)).toHaveLength(1);
    expect(shopPostsNotReplies().length).toBe(before);
    for (const id of latePosts) {
      expect(kit.repliesOn(id)).toEqual([expect.objectContaining({ text: 'Sorry, Mug is sold out. You have not been charged.' })]);
      expect(await kit.ordersOfPost(id)).toMatchObject([{ reply_status: 'posted' }]);
    }
  }, 60_000);
});
