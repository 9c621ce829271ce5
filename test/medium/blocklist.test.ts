import request from 'supertest';
import { startMoneyKit, type MoneyKit } from './kit';

// Blocklists (issue 15): a merchant's and the operator's. A blocked account's post is recorded
// as ignored (reason blocked) and gets no reply; its waiting orders are canceled; the handle is
// resolved once to the X user id, which is what is kept.
let kit: MoneyKit;
let admin: { Authorization: string };
let merchantAuth: { Authorization: string };

beforeAll(async () => {
  kit = await startMoneyKit();
  admin = { Authorization: `Bearer ${kit.rt.config.ADMIN_TOKEN}` };
  merchantAuth = kit.merchantAuth;
}, 60_000);
afterAll(() => kit.close());

const outcomeOf = async (postId: string) =>
  (await kit.rt.db.query<{ outcome: string; reason: string | null }>('SELECT outcome, reason FROM posts WHERE tweet_id = $1', [postId])).rows[0];

describe('blocklists', () => {
  it('a merchant blocks a handle: resolved to the id, its waiting order canceled, its next post ignored without a reply', async () => {
    const productId = await kit.product('BuyBlockMug', { inventory: 5 });
    const reseller = kit.x.createUser({ username: 'reseller_one' });
    // A stranger's order waits for a signup (and a reply went out with the link).
    const first = await kit.post(reseller, '@shop #BuyBlockMug');
    await kit.settle();
    const [waiting] = await kit.ordersOfPost(first);
    expect(waiting).toMatchObject({ status: 'awaiting_signup' });

    const added = await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({ handle: '@Reseller_One', note: 'resells on auction sites' }).expect(201);
    expect(added.body).toMatchObject({ object: 'blocked_account', scope: 'merchant', x_user_id: reseller.id, x_username: 'Reseller_One', canceled_orders: [waiting!.id] });
    expect(await kit.get(`/v1/orders/${waiting!.id}`)).toMatchObject({ status: 'canceled', failure_code: 'buyer_blocked' });
    // Added again: the same entry, not a second one.
    const again = await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({ x_user_id: reseller.id }).expect(200);
    expect(again.body.id).toBe(added.body.id);

    // Even with a card linked now, the account cannot buy: no order, no reply, outcome recorded.
    await kit.rt.buyers.linkTestCard(reseller.id, reseller.username, 'pm_card_visa');
    const second = await kit.post(reseller, '@shop #BuyBlockMug');
    await kit.settle();
    expect(await outcomeOf(second)).toEqual({ outcome: 'ignored', reason: 'blocked' });
    expect(await kit.ordersOfPost(second)).toEqual([]);
    expect(kit.repliesOn(second)).toEqual([]);
    expect((await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining).toBe(5);

    const list = await kit.get<{ data: Array<{ id: string }> }>('/v1/blocklist');
    expect(list.data.map((b) => b.id)).toEqual([added.body.id]);
    // Unblocked: the account buys like anyone.
    await request(kit.app).delete(`/v1/blocklist/${added.body.id}`).set(merchantAuth).expect(200, { id: added.body.id, object: 'blocked_account', deleted: true });
    const third = await kit.post(reseller, '@shop #BuyBlockMug');
    await kit.settle();
    expect(await kit.ordersOfPost(third)).toMatchObject([{ status: 'paid' }]);
  });

  it('the operator blocks an account for every merchant; a merchant cannot see or remove that entry', async () => {
    await kit.product('BuyOperatorBlock');
    const hijacked = await kit.buyer('hijacked_acct');
    const added = await request(kit.app).post('/v1/operator/blocklist').set(admin).send({ x_user_id: hijacked.id }).expect(201);
    expect(added.body).toMatchObject({ scope: 'operator', x_user_id: hijacked.id, x_username: null });
    await request(kit.app).post('/v1/operator/blocklist').set(merchantAuth).send({ x_user_id: hijacked.id }).expect(401);
    await request(kit.app).delete(`/v1/blocklist/${added.body.id}`).set(merchantAuth).expect(404);

    const post = await kit.post(hijacked, '@shop #BuyOperatorBlock');
    await kit.settle();
    expect(await outcomeOf(post)).toEqual({ outcome: 'ignored', reason: 'blocked' });
    expect(kit.repliesOn(post)).toEqual([]);
    const listed = (await request(kit.app).get('/v1/operator/blocklist').set(admin).expect(200)).body;
    expect(listed.data.map((b: { id: string }) => b.id)).toContain(added.body.id);
  });

  it('refuses what it cannot block with a clear 4xx', async () => {
    const bad = await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({ handle: 'no such handle!' }).expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({}).expect(400);
    await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({ x_user_id: '1', handle: 'both' }).expect(400);
    const unknown = await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({ handle: 'nobody_here' }).expect(404);
    expect(unknown.body.detail).toContain('@nobody_here');
  });
});
