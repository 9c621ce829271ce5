import request from 'supertest';
import { enqueueFollowups } from '../../src/queue/followups';
import { startMoneyKit, type MoneyKit } from './kit';

// The review queue (issue 15): each rule holds an order in_review with its unit, before any
// charge; the merchant approves (charged) or rejects (unit freed, buyer told), one or many; the
// review window decides what nobody did. X's facts come from its user look-up, once per buyer.
let kit: MoneyKit;
let merchantAuth: { Authorization: string };

beforeAll(async () => {
  kit = await startMoneyKit();
  merchantAuth = kit.merchantAuth;
}, 60_000);
afterAll(() => kit.close());

const DAY = 86_400_000;
type Order = { id: string; status: string; review: { reasons: string[]; expires: number | null } | null };
const buy = async (author: Parameters<MoneyKit['post']>[0], text: string): Promise<Order> => {
  const post = await kit.post(author, text);
  await kit.settle();
  return (await kit.ordersOfPost(post))[0] as unknown as Order;
};
const setRules = (productId: string, rules: Record<string, unknown>) =>
  request(kit.app).put(`/v1/products/${productId}/review_rules`).set(merchantAuth).send(rules).expect(200);
const remaining = async (productId: string) => (await kit.get<{ inventory_remaining: number }>(`/v1/products/${productId}`)).inventory_remaining;

describe('review rules', () => {
  it('holds a new account (X created_at), fetched once per buyer and cached', async () => {
    const productId = await kit.product('BuyReviewAge', { inventory: 5 });
    const rules = await setRules(productId, { account_younger_than_days: 30 });
    expect(rules.body).toEqual({ object: 'review_rules', product: productId, rules: { account_younger_than_days: 30, window_hours: 24, on_window_expiry: 'reject' } });
    const fresh = await kit.buyer('review_fresh');
    const veteran = await kit.buyer('review_veteran');
    kit.x.updateUser(veteran.id, { created_at: new Date(Date.now() - 400 * DAY).toISOString() });

    const held = await buy(fresh, '@shop #BuyReviewAge');
    expect(held).toMatchObject({ status: 'in_review', review: { reasons: ['new_account'] } });
    expect(held.review!.expires! * 1000).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(await remaining(productId)).toBe(4); // its unit is held
    expect(await buy(veteran, '@shop #BuyReviewAge')).toMatchObject({ status: 'paid', review: null });

    // Cached: X now says the fresh account is old, but its facts were fetched once already.
    kit.x.updateUser(fresh.id, { created_at: new Date(Date.now() - 400 * DAY).toISOString() });
    expect(await buy(fresh, '@shop #BuyReviewAge again')).toMatchObject({ status: 'in_review' });
  });

  it('holds the order when X cannot be asked, and applies the rules when a stranger signs up after posting', async () => {
    const productId = await kit.product('BuyReviewUnknown');
    await setRules(productId, { account_younger_than_days: 7 });
    const unlucky = await kit.buyer('review_unlucky');
    kit.x.updateUser(unlucky.id, { created_at: new Date(Date.now() - 400 * DAY).toISOString() });
    kit.x.injectFault({ path: '/2/users', status: 503, count: 1 });
    expect(await buy(unlucky, '@shop #BuyReviewUnknown')).toMatchObject({ status: 'in_review', review: { reasons: ['account_facts_unavailable'] } });

    // A stranger with a week-old account posts, then links a card: held, not charged.
    const stranger = kit.x.createUser({ username: 'review_stranger' });
    const waiting = await buy(stranger, '@shop #BuyReviewUnknown');
    expect(waiting.status).toBe('awaiting_signup');
    const linked = await kit.rt.buyers.linkTestCard(stranger.id, stranger.username, 'pm_card_visa');
    await enqueueFollowups(kit.rt.queues, linked.followups);
    await kit.settle();
    expect(await kit.get(`/v1/orders/${waiting.id}`)).toMatchObject({ status: 'in_review', review: { reasons: ['new_account'] } });
    expect(kit.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>).order_id === waiting.id)).toEqual([]);
  });

  it('holds an account with few followers (X public_metrics)', async () => {
    const productId = await kit.product('BuyReviewFollowers');
    await setRules(productId, { followers_fewer_than: 100 });
    const few = await kit.buyer('review_few');
    kit.x.updateUser(few.id, { public_metrics: { followers_count: 12 } });
    const many = await kit.buyer('review_many');
    kit.x.updateUser(many.id, { public_metrics: { followers_count: 5000 } });
    expect(await buy(few, '@shop #BuyReviewFollowers')).toMatchObject({ status: 'in_review', review: { reasons: ['few_followers'] } });
    expect(await buy(many, '@shop #BuyReviewFollowers')).toMatchObject({ status: 'paid' });
  });

  it('holds a buyer who buys more than N times an hour, and an order above an amount', async () => {
    const frequent = await kit.product('BuyReviewOften');
    await setRules(frequent, { orders_per_hour_above: 2 });
    const buyer = await kit.buyer('review_often');
    expect(await buy(buyer, '@shop #BuyReviewOften one')).toMatchObject({ status: 'paid' });
    expect(await buy(buyer, '@shop #BuyReviewOften two')).toMatchObject({ status: 'paid' });
    expect(await buy(buyer, '@shop #BuyReviewOften three')).toMatchObject({ status: 'in_review', review: { reasons: ['frequent_buyer'] } });

    const pricey = await kit.product('BuyReviewPricey', { unit_amount: 1800, max_per_order: 3 });
    await setRules(pricey, { amount_above: 2000 });
    expect(await buy(buyer, '@shop #BuyReviewPricey')).toMatchObject({ status: 'paid' });
    expect(await buy(buyer, '@shop #BuyReviewPricey x2')).toMatchObject({ status: 'in_review', review: { reasons: ['large_amount'] } });
  });

  it("applies the merchant's default rules to a product without its own", async () => {
    const productId = await kit.product('BuyReviewDefault');
    await request(kit.app).put('/v1/review_rules').set(merchantAuth).send({ amount_above: 100, on_window_expiry: 'approve' }).expect(200);
    const buyer = await kit.buyer('review_default');
    expect(await buy(buyer, '@shop #BuyReviewDefault')).toMatchObject({ status: 'in_review', review: { reasons: ['large_amount'] } });
    await request(kit.app).delete('/v1/review_rules').set(merchantAuth).expect(200, { object: 'review_rules', product: null, rules: null });
    expect(await buy(buyer, '@shop #BuyReviewDefault again')).toMatchObject({ status: 'paid' });
    expect(productId).toMatch(/^prod_/);
  });

  it('refuses rules it cannot apply with a clear 4xx', async () => {
    const productId = await kit.product('BuyReviewBadRules');
    const res = await request(kit.app).put(`/v1/products/${productId}/review_rules`).set(merchantAuth).send({ followers_fewer_than: -1 }).expect(400);
    expect(res.body.errors[0].field).toBe('followers_fewer_than');
    await request(kit.app).put(`/v1/products/${productId}/review_rules`).set(merchantAuth).send({ on_window_expiry: 'maybe' }).expect(400);
    await request(kit.app).put(`/v1/products/${productId}/review_rules`).set(merchantAuth).send({ surprise: 1 }).expect(400);
  });
});

describe('review decisions', () => {
  it('approve charges the order; reject frees its unit and tells the buyer why; events say so', async () => {
    const productId = await kit.product('BuyReviewDecide', { inventory: 3 });
    await setRules(productId, { amount_above: 0 });
    const a = await kit.buyer('decide_a');
    const b = await kit.buyer('decide_b');
    const first = await buy(a, '@shop #BuyReviewDecide');
    const second = await buy(b, '@shop #BuyReviewDecide');
    const listed = await kit.get<{ data: Order[] }>(`/v1/orders?status=in_review&product=${productId}`);
    expect(listed.data.map((o) => o.id).sort()).toEqual([first.id, second.id].sort());
    expect(await remaining(productId)).toBe(1);

    const approved = await request(kit.app).post(`/v1/orders/${first.id}/approve`).set(merchantAuth).send({}).expect(200);
    expect(approved.body.status).toBe('reserved');
    await kit.settle();
    expect(await kit.get(`/v1/orders/${first.id}`)).toMatchObject({ status: 'paid' });
    expect(kit.repliesOn((await kit.get<{ tweet_id: string }>(`/v1/orders/${first.id}`)).tweet_id).map((r) => r.text)).toEqual([expect.stringContaining('Paid')]);

    const rejected = await request(kit.app).post(`/v1/orders/${second.id}/reject`).set(merchantAuth).send({ reason: 'Limit one per household' }).expect(200);
    expect(rejected.body).toMatchObject({ status: 'canceled', failure_code: 'rejected_in_review' });
    await kit.settle();
    expect(await remaining(productId)).toBe(2);
    const secondPost = (await kit.get<{ tweet_id: string }>(`/v1/orders/${second.id}`)).tweet_id;
    expect(kit.repliesOn(secondPost).map((r) => r.text)).toEqual([expect.stringContaining('Limit one per household')]);

    // Deciding again is a conflict, not a second charge.
    const again = await request(kit.app).post(`/v1/orders/${first.id}/approve`).set(merchantAuth).send({}).expect(409);
    expect(again.body.code).toBe('order_not_in_review');
    const events = (await kit.get<{ data: Array<{ type: string; data: { object: { id: string } } }> }>('/v1/events?limit=100')).data;
    const typesOf = (id: string) => events.filter((e) => e.data.object.id === id).map((e) => e.type);
    expect(typesOf(first.id)).toEqual(expect.arrayContaining(['order.in_review', 'order.approved', 'order.paid']));
    expect(typesOf(second.id)).toEqual(expect.arrayContaining(['order.in_review', 'order.rejected']));
    expect(typesOf(second.id)).not.toContain('order.canceled');
  });

  it('bulk approve and reject report a result per id', async () => {
    const productId = await kit.product('BuyReviewBulk');
    await setRules(productId, { amount_above: 0 });
    const buyers = await Promise.all(['bulk_a', 'bulk_b', 'bulk_c'].map((u) => kit.buyer(u)));
    const held: Order[] = [];
    for (const buyer of buyers) held.push(await buy(buyer, '@shop #BuyReviewBulk'));

    const approve = await request(kit.app).post('/v1/orders/approve').set(merchantAuth)
      .send({ orders: [held[0]!.id, held[1]!.id, 'ord_doesnotexist000000001'] }).expect(200);
    expect(approve.body.data).toEqual([
      expect.objectContaining({ id: held[0]!.id, result: 'approved', order: expect.objectContaining({ status: 'reserved' }) }),
      expect.objectContaining({ id: held[1]!.id, result: 'approved' }),
      { id: 'ord_doesnotexist000000001', result: 'error', error: expect.objectContaining({ status: 404, code: 'resource_missing' }) },
    ]);
    const reject = await request(kit.app).post('/v1/orders/reject').set(merchantAuth).send({ orders: [held[2]!.id, held[0]!.id] }).expect(200);
    expect(reject.body.data).toEqual([
      expect.objectContaining({ id: held[2]!.id, result: 'rejected', order: expect.objectContaining({ status: 'canceled' }) }),
      { id: held[0]!.id, result: 'error', error: expect.objectContaining({ status: 409, code: 'order_not_in_review' }) },
    ]);
    await kit.settle();
    expect((await kit.get(`/v1/orders/${held[0]!.id}`)).status).toBe('paid');
    expect((await kit.get(`/v1/orders/${held[1]!.id}`)).status).toBe('paid');
    await request(kit.app).post('/v1/orders/approve').set(merchantAuth).send({ orders: [] }).expect(400);
    await request(kit.app).post('/v1/orders/approve').set(merchantAuth).send({ orders: [held[0]!.id, held[0]!.id] }).expect(400);
  });

  it('the review window closes: approved or rejected as the rules say', async () => {
    const approving = await kit.product('BuyReviewWindowYes');
    await setRules(approving, { amount_above: 0, window_hours: 2, on_window_expiry: 'approve' });
    const rejecting = await kit.product('BuyReviewWindowNo', { inventory: 1 });
    await setRules(rejecting, { amount_above: 0, window_hours: 2, on_window_expiry: 'reject' });
    const buyer = await kit.buyer('window_buyer');
    const yes = await buy(buyer, '@shop #BuyReviewWindowYes');
    const no = await buy(buyer, '@shop #BuyReviewWindowNo');
    expect([yes.status, no.status]).toEqual(['in_review', 'in_review']);

    await kit.sweepAfterDelay(); // within the window: nothing happens
    expect((await kit.get(`/v1/orders/${yes.id}`)).status).toBe('in_review');
    await kit.rt.db.query(`UPDATE orders SET review_expires_at = now() - interval '1 minute' WHERE id = ANY($1)`, [[yes.id, no.id]]);
    await kit.sweepAfterDelay();
    await kit.settle();
    expect(await kit.get(`/v1/orders/${yes.id}`)).toMatchObject({ status: 'paid' });
    expect(await kit.get(`/v1/orders/${no.id}`)).toMatchObject({ status: 'canceled', failure_code: 'rejected_in_review' });
    expect(await remaining(rejecting)).toBe(1);
  });
});
