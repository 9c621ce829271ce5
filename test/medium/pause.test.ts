import request from 'supertest';
import { enqueuePosts } from '../../src/ingest/sink';
import type { InboundPost } from '../../src/x/x.port';
import { startMoneyKit, type MoneyKit } from './kit';

// The pause switch (issue 15): while paused, purchase posts are recorded (outcome paused) and
// nothing is sold; on resume they are processed in post order, each exactly once, or closed.
let kit: MoneyKit;
let merchantAuth: { Authorization: string };
let admin: { Authorization: string };

beforeAll(async () => {
  kit = await startMoneyKit();
  merchantAuth = kit.merchantAuth;
  admin = { Authorization: `Bearer ${kit.rt.config.ADMIN_TOKEN}` };
}, 60_000);
afterAll(() => kit.close());

const outcomeOf = async (postId: string) =>
  (await kit.rt.db.query<{ outcome: string; reason: string | null }>('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [postId])).rows[0];
const ordersOf = async (postIds: string[]) =>
  (await kit.rt.db.query<{ tweet_id: string; status: string }>('SELECT tweet_id, status FROM orders WHERE tweet_id = ANY($1) ORDER BY tweet_id', [postIds])).rows;

describe('pause switch', () => {
  it('records posts while paused (one reply per buyer) and processes them in post order on resume, each once', async () => {
    const productId = await kit.product('BuyPausedLamp', { inventory: 2, waitlist: false });
    const paused = await request(kit.app).post(`/v1/products/${productId}/pause`).set(merchantAuth).send({ replies: true }).expect(200);
    expect(paused.body).toMatchObject({ object: 'sale_pause', scope: 'product', product: productId, paused: true, replies: true, recorded_posts: 0 });

    const early = await kit.buyer('pause_early');
    const late = await kit.buyer('pause_late');
    const first = await kit.post(early, '@shop #BuyPausedLamp');
    const second = await kit.post(late, '@shop #BuyPausedLamp');
    const third = await kit.post(early, '@shop #BuyPausedLamp one more');
    await kit.settle();
    for (const id of [first, second, third]) expect(await outcomeOf(id)).toEqual({ outcome: 'paused', reason: 'product_paused' });
    expect(await ordersOf([first, second, third])).toEqual([]);
    // One reply per buyer per pause: the early buyer's second post is not answered again.
    expect([...kit.repliesOn(first), ...kit.repliesOn(third)].map((r) => r.text)).toEqual([expect.stringContaining('paused')]);
    expect(kit.repliesOn(second)).toHaveLength(1);
    expect((await kit.get(`/v1/products/${productId}/pause`)).recorded_posts).toBe(3);

    const resumed = await request(kit.app).post(`/v1/products/${productId}/resume`).set(merchantAuth).send({ recorded_posts: 'process' }).expect(200);
    expect(resumed.body).toMatchObject({ paused: false, recorded_posts: 0, resumed_posts: { action: 'process', count: 3 } });
    await kit.settle();
    // Post order: the two earliest posts get the two units, the last finds none left.
    expect(await ordersOf([first, second, third])).toEqual(
      [{ tweet_id: first, status: 'paid' }, { tweet_id: second, status: 'paid' }, { tweet_id: third, status: 'sold_out' }].sort((a, b) => (a.tweet_id < b.tweet_id ? -1 : 1)),
    );
    // The same posts delivered again (a duplicate job): nothing changes.
    const payloads = (await kit.rt.db.query<{ payload: InboundPost }>('SELECT payload FROM paused_posts WHERE tweet_id = ANY($1)', [[first, second, third]])).rows.map((r) => r.payload);
    await enqueuePosts(kit.rt.queues.tweets, payloads.reverse(), 1);
    await kit.settle();
    expect(await ordersOf([first, second, third])).toHaveLength(3);
    await request(kit.app).post(`/v1/products/${productId}/resume`).set(merchantAuth).send({ recorded_posts: 'process' }).expect(409);
  });

  it('a post made after the resume waits for the recorded posts: they take the units first, in post order', async () => {
    const productId = await kit.product('BuyPausedVase', { inventory: 1, waitlist: false });
    await request(kit.app).post(`/v1/products/${productId}/pause`).set(merchantAuth).send({}).expect(200);
    const recorded = await kit.post(await kit.buyer('vase_early'), '@shop #BuyPausedVase');
    await kit.settle();
    await request(kit.app).post(`/v1/products/${productId}/resume`).set(merchantAuth).send({ recorded_posts: 'process' }).expect(200);
    // The new post's job runs before the recorded posts' job: it must not take the unit.
    const fresh = await kit.post(await kit.buyer('vase_late'), '@shop #BuyPausedVase');
    const freshJob = (await kit.rt.queues.tweets.getJobs(['waiting', 'prioritized'])).find((j) => JSON.stringify(j.data).includes(fresh))!;
    await expect(kit.runJob('tweets', freshJob)).rejects.toThrow(/recorded posts of a resumed sale come first/);
    await freshJob.remove();
    await kit.settle();
    // Its retry, once the recorded post is decided.
    await kit.runJob('tweets', freshJob);
    await kit.settle();
    expect(await ordersOf([recorded, fresh])).toEqual(
      [{ tweet_id: recorded, status: 'paid' }, { tweet_id: fresh, status: 'sold_out' }].sort((a, b) => (a.tweet_id < b.tweet_id ? -1 : 1)),
    );
  });

  it('loses nothing when Redis loses the resumed posts\' job: the sweep queues them again from the inbox', async () => {
    const productId = await kit.product('BuyPausedRug', { inventory: 1, waitlist: false });
    await request(kit.app).post(`/v1/products/${productId}/pause`).set(merchantAuth).send({}).expect(200);
    const first = await kit.post(await kit.buyer('rug_first'), '@shop #BuyPausedRug');
    const second = await kit.post(await kit.buyer('rug_second'), '@shop #BuyPausedRug');
    await kit.settle();
    await request(kit.app).post(`/v1/products/${productId}/resume`).set(merchantAuth).send({ recorded_posts: 'process' }).expect(200);
    await kit.loseRedis();
    await kit.settle();
    // Between the resume and the sweep the posts have no outcome yet: taken back, not lost.
    expect(await outcomeOf(first)).toBeUndefined();
    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await ordersOf([first, second])).toEqual(
      [{ tweet_id: first, status: 'paid' }, { tweet_id: second, status: 'sold_out' }].sort((a, b) => (a.tweet_id < b.tweet_id ? -1 : 1)),
    );
  });

  it('closes the recorded posts when the merchant says so: no order, no reply, nothing left open', async () => {
    const productId = await kit.product('BuyClosedLamp');
    await request(kit.app).post(`/v1/products/${productId}/pause`).set(merchantAuth).send({}).expect(200);
    const buyer = await kit.buyer('pause_closed');
    const post = await kit.post(buyer, '@shop #BuyClosedLamp');
    await kit.settle();
    expect(await outcomeOf(post)).toEqual({ outcome: 'paused', reason: 'product_paused' });
    expect(kit.repliesOn(post)).toEqual([]); // replies were not asked for

    const resumed = await request(kit.app).post(`/v1/products/${productId}/resume`).set(merchantAuth).send({ recorded_posts: 'close' }).expect(200);
    expect(resumed.body.resumed_posts).toEqual({ action: 'close', count: 1 });
    await kit.settle();
    expect(await outcomeOf(post)).toEqual({ outcome: 'ignored', reason: 'closed_after_pause' });
    expect(await ordersOf([post])).toEqual([]);
    // Selling again: a new post buys.
    const after = await kit.post(buyer, '@shop #BuyClosedLamp');
    await kit.settle();
    expect(await ordersOf([after])).toMatchObject([{ status: 'paid' }]);
  });

  it('the operator pauses every sale at once, and resuming processes what it recorded', async () => {
    await kit.product('BuyOperatorLamp');
    const state = await request(kit.app).post('/v1/operator/pause').set(admin).send({ replies: false }).expect(200);
    expect(state.body).toMatchObject({ scope: 'operator', product: null, paused: true });
    await request(kit.app).post('/v1/operator/pause').set(merchantAuth).send({}).expect(401);
    const buyer = await kit.buyer('pause_operator');
    const post = await kit.post(buyer, '@shop #BuyOperatorLamp');
    await kit.settle();
    expect(await outcomeOf(post)).toEqual({ outcome: 'paused', reason: 'operator_paused' });

    const resumed = await request(kit.app).post('/v1/operator/resume').set(admin).send({ recorded_posts: 'process' }).expect(200);
    expect(resumed.body).toMatchObject({ paused: false, resumed_posts: { action: 'process', count: 1 } });
    await kit.settle();
    expect(await ordersOf([post])).toMatchObject([{ status: 'paid' }]);
    await request(kit.app).post('/v1/operator/resume').set(admin).send({ recorded_posts: 'close' }).expect(409);
  });

  it('refuses a resume without a choice, and a product that is not the merchant\'s', async () => {
    const productId = await kit.product('BuyChoiceLamp');
    const res = await request(kit.app).post(`/v1/products/${productId}/resume`).set(merchantAuth).send({}).expect(400);
    expect(res.body.errors[0].field).toBe('recorded_posts');
    await request(kit.app).post('/v1/products/prod_nosuchproduct0000001/pause').set(merchantAuth).send({}).expect(404);
  });
});
