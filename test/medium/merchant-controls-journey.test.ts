import request from 'supertest';
import { startMoneyKit, type MoneyKit } from './kit';

// Issue 15's "done when", as a merchant would do it over REST while buyers post on X: block an
// account, see a new account's order held for review and approve it, pause and resume a sale
// without losing a post, and read the sale's figures from the report.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

it('a merchant runs a sale with the controls', async () => {
  const api = () => ({ Authorization: `Bearer ${kit.merchant.apiKey}` });
  const call = (method: 'get' | 'post' | 'put', path: string, body?: object) => {
    const req = request(kit.app)[method](path).set(api());
    return body ? req.send(body) : req;
  };
  const orderOf = async (postId: string) => (await kit.ordersOfPost(postId))[0] as { id: string; status: string };

  const product = (await call('post', '/v1/products', { name: 'Launch Tee', hashtag: 'BuyLaunchTee', unit_amount: 2500, currency: 'usd', inventory: 10, shipping: 'none' }).expect(201)).body.id as string;
  await call('put', `/v1/products/${product}/review_rules`, { account_younger_than_days: 30 }).expect(200);

  const scalper = kit.x.createUser({ username: 'tee_scalper', created_at: '2020-01-01T00:00:00Z' });
  const blocked = await call('post', '/v1/blocklist', { handle: '@tee_scalper', note: 'bought 40 last drop' }).expect(201);
  expect(blocked.body.x_user_id).toBe(scalper.id);

  const regular = kit.x.createUser({ username: 'tee_regular', created_at: '2019-05-01T00:00:00Z', public_metrics: { followers_count: 300 } });
  await kit.rt.buyers.linkTestCard(regular.id, regular.username, 'pm_card_visa');
  const newcomer = await kit.buyer('tee_newcomer'); // an account made today

  const scalperPost = await kit.post(scalper, '@shop #BuyLaunchTee');
  const regularPost = await kit.post(regular, '@shop #BuyLaunchTee');
  const newcomerPost = await kit.post(newcomer, '@shop #BuyLaunchTee');
  await kit.settle();
  expect(kit.repliesOn(scalperPost)).toEqual([]);
  expect(await orderOf(regularPost)).toMatchObject({ status: 'paid' });

  // The new account's order waits for the merchant, who approves it.
  const queue = (await call('get', '/v1/orders?status=in_review').expect(200)).body.data as Array<{ id: string; review: { reasons: string[] } }>;
  expect(queue).toEqual([expect.objectContaining({ id: (await orderOf(newcomerPost)).id, review: expect.objectContaining({ reasons: ['new_account'] }) })]);
  await call('post', `/v1/orders/${queue[0]!.id}/approve`, {}).expect(200);
  await kit.settle();
  expect(await orderOf(newcomerPost)).toMatchObject({ status: 'paid' });
  expect(kit.repliesOn(newcomerPost).map((r) => r.text)).toEqual([expect.stringContaining('Paid')]);

  // A pause: the post is kept (and answered once), then processed on resume.
  await call('post', `/v1/products/${product}/pause`, { replies: true }).expect(200);
  const duringPause = await kit.post(regular, '@shop #BuyLaunchTee for my brother');
  await kit.settle();
  expect(await kit.ordersOfPost(duringPause)).toEqual([]);
  expect(kit.repliesOn(duringPause).map((r) => r.text)).toEqual([expect.stringContaining('paused')]);
  const resumed = await call('post', `/v1/products/${product}/resume`, { recorded_posts: 'process' }).expect(200);
  expect(resumed.body.resumed_posts).toEqual({ action: 'process', count: 1 });
  await kit.settle();
  expect(await orderOf(duringPause)).toMatchObject({ status: 'paid' });

  const report = (await call('get', `/v1/reports/sales?product=${product}`).expect(200)).body;
  expect(report).toMatchObject({
    posts: { seen: 4, ignored_by_reason: { blocked: 1 } },
    orders: { by_status: { paid: 3 }, units_sold: 3 },
    money: [{ currency: 'usd', gross: 7500, refunded: 0, net: 7500, platform_fee: null }],
  });
  expect(report.median_seconds_post_to_paid).toEqual(expect.any(Number));
  const csv = await call('get', `/v1/reports/sales?product=${product}`).set('Accept', 'text/csv').expect(200);
  expect(csv.text).toContain('money.net,usd,7500');
});
