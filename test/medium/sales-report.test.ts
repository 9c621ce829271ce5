import request from 'supertest';
import { enqueueFollowups } from '../../src/queue/followups';
import { startMoneyKit, type MoneyKit } from './kit';

// The sales report (issue 15): computed in SQL from the records. A sale is seeded through the
// real pipeline (posts on X, charges on Stripe, a refund, a signup) and every figure is checked.
let kit: MoneyKit;
let merchantAuth: { Authorization: string };

beforeAll(async () => {
  kit = await startMoneyKit();
  merchantAuth = kit.merchantAuth;
}, 60_000);
afterAll(() => kit.close());

describe('sales report', () => {
  it("adds up a seeded sale: posts by reason, orders by status, money, signups, median time to paid; JSON and CSV", async () => {
    const productId = await kit.product('BuyReportVase', { inventory: 4, max_per_order: 2, unit_amount: 1800 });
    const otherProduct = await kit.product('BuyReportOther', { unit_amount: 500 });

    const ann = await kit.buyer('report_ann');
    const bob = await kit.buyer('report_bob');
    const declined = await kit.buyer('report_declined', 'pm_card_chargeCustomerFail');
    const stranger = kit.x.createUser({ username: 'report_new' });
    const blocked = await kit.buyer('report_blocked');
    await request(kit.app).post('/v1/blocklist').set(merchantAuth).send({ x_user_id: blocked.id }).expect(201);

    const annPost = await kit.post(ann, '@shop #BuyReportVase');
    const bobPost = await kit.post(bob, '@shop #BuyReportVase x2');
    await kit.post(declined, '@shop #BuyReportVase');
    const strangerPost = await kit.post(stranger, '@shop #BuyReportVase');
    await kit.post(blocked, '@shop #BuyReportVase');
    await kit.post(ann, '@shop #BuyReportVase x5'); // more than max_per_order
    await kit.post(ann, '@shop #BuyReportOther'); // another product: left out of this product's report
    await kit.settle();
    // The stranger links a card: the signup completes and the order goes through.
    const linked = await kit.rt.buyers.linkTestCard(stranger.id, stranger.username, 'pm_card_visa');
    await enqueueFollowups(kit.rt.queues, linked.followups);
    await kit.settle();

    const [annOrder] = await kit.ordersOfPost(annPost);
    await kit.send('post', `/v1/orders/${annOrder!.id}/refunds`, { amount: 500 }).then((r) => expect(r.status).toBe(201));
    await kit.settle();

    // Known times from post to payment for the three paid orders: 10, 20 and 60 seconds.
    for (const [post, seconds] of [[annPost, 10], [bobPost, 20], [strangerPost, 60]] as const) {
      await kit.rt.db.query(`UPDATE posts SET posted_at = (SELECT paid_at FROM orders WHERE tweet_id = $1) - make_interval(secs => $2) WHERE tweet_id = $1`, [post, seconds]);
    }

    const report = await kit.get(`/v1/reports/sales?product=${productId}`);
    expect(report).toEqual({
      object: 'sales_report',
      product: productId,
      created: { gte: null, lt: null },
      posts: {
        seen: 6,
        by_outcome: { order_created: 3, awaiting_signup: 1, ignored: 1, rejected: 1 },
        ignored_by_reason: { blocked: 1, quantity_over_max: 1 },
      },
      orders: { by_status: { paid: 2, partially_refunded: 1, failed: 1 }, units_sold: 4 },
      money: [{ currency: 'usd', gross: 1800 + 3600 + 1800, refunded: 500, net: 7200 - 500, platform_fee: null }],
      signups: { links_sent: 1, completed: 1, conversion: 1 },
      median_seconds_post_to_paid: 20,
    });

    // Every product of the merchant: the other product's post and order count too.
    const all = await kit.get<{ posts: { seen: number }; money: Array<{ gross: number }> }>('/v1/reports/sales');
    expect(all.posts.seen).toBe(7);
    expect(all.money).toEqual([expect.objectContaining({ gross: 7200 + 500 })]);
    // A window before the sale: nothing in it.
    const before = await kit.get<{ posts: { seen: number }; orders: { units_sold: number } }>('/v1/reports/sales?created[gte]=0&created[lt]=1000');
    expect(before).toMatchObject({ posts: { seen: 0 }, orders: { units_sold: 0 }, median_seconds_post_to_paid: null });
    expect(otherProduct).toMatch(/^prod_/);

    // Destination charges (Connect): the platform keeps its fee less the share a refund gave back.
    // Ann's order (1800, 500 refunded) had a fee of 90: 90 - round(90 × 500 / 1800) = 90 - 25 = 65; Bob's (3600) had 180.
    await kit.rt.db.query(`UPDATE orders SET transfer_destination = 'acct_report', application_fee_amount = CASE WHEN tweet_id = $1 THEN 90 ELSE 180 END
                           WHERE tweet_id = ANY($2)`, [annPost, [annPost, bobPost]]);
    expect((await kit.get<{ money: Array<{ platform_fee: number | null }> }>(`/v1/reports/sales?product=${productId}`)).money).toEqual([
      expect.objectContaining({ currency: 'usd', platform_fee: 65 + 180 }),
    ]);

    const csv = await request(kit.app).get(`/v1/reports/sales?product=${productId}`).set(merchantAuth).set('Accept', 'text/csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('metric,currency,value');
    expect(lines).toEqual(expect.arrayContaining(['posts.seen,,6', 'posts.ignored.blocked,,1', 'money.gross,usd,7200', 'money.net,usd,6700', 'orders.units_sold,,4', 'median_seconds_post_to_paid,,20']));
  });

  it('answers bad filters with a clear 4xx', async () => {
    const bad = await request(kit.app).get('/v1/reports/sales?created[gte]=10&created[lt]=5').set(merchantAuth).expect(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
    await request(kit.app).get('/v1/reports/sales?product=nope').set(merchantAuth).expect(400);
    await request(kit.app).get('/v1/reports/sales?product=prod_notmine000000000001').set(merchantAuth).expect(404);
    await request(kit.app).get('/v1/reports/sales?color=blue').set(merchantAuth).expect(400);
  });
});
