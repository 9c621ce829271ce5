import request from 'supertest';
import { startMoneyKit, type MoneyKit } from './kit';
import { conformanceProblems, recordResponses } from '../support/openapi-recorder';
import { ordersOfBuyer } from '../../src/buyers/onboarding.repository';

// Variants as a merchant defines them and a buyer picks them on X: real PostgreSQL, Redis, and the
// Stripe and X emulators through the real SDKs.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

interface VariantBody { id: string; options: Record<string, string>; [field: string]: unknown }
interface ProductBody { id: string; variants: VariantBody[]; [field: string]: unknown }

const TEE_OPTIONS = [
  { name: 'Size', values: ['S', 'M', 'L'], synonyms: { M: ['medium'], L: ['large'] } },
  { name: 'Colour', values: ['black', 'white'] },
];
const teeVariants = (prefix: string, stock: number) => [
  { options: { Size: 'S', Colour: 'black' }, sku: `${prefix}-S-BLK`, inventory: stock },
  { options: { Size: 'M', Colour: 'black' }, sku: `${prefix}-M-BLK`, inventory: stock, unit_amount: 2500 },
  { options: { Size: 'M', Colour: 'white' }, sku: `${prefix}-M-WHT`, inventory: stock },
  { options: { Size: 'L', Colour: 'black' }, sku: `${prefix}-L-BLK`, inventory: null },
];

async function tee(hashtag: string, stock = 5): Promise<ProductBody> {
  const res = await kit.send('post', '/v1/products', {
    name: 'Tee', hashtag, unit_amount: 2000, currency: 'usd', shipping: 'none', max_per_order: 5, options: TEE_OPTIONS, variants: teeVariants(hashtag, stock),
  });
  expect(res.status).toBe(201);
  return res.body;
}

const variantOf = (product: ProductBody, size: string, colour: string) =>
  product.variants.find((v) => v.options.Size === size && v.options.Colour === colour)!;

describe('the merchant defines options and variants', () => {
  it('creates a product with variants: each with its options, SKU, price (its own or the product\'s) and stock', async () => {
    const p = await tee('BuyTeeApi', 3);
    expect(p.options).toEqual([
      { name: 'Size', values: ['S', 'M', 'L'], synonyms: { M: ['medium'], L: ['large'] } },
      { name: 'Colour', values: ['black', 'white'], synonyms: {} },
    ]);
    expect(p.variants).toHaveLength(4);
    expect(variantOf(p, 'M', 'black')).toMatchObject({ object: 'product_variant', sku: 'BuyTeeApi-M-BLK', unit_amount: 2500, inventory: 3, inventory_remaining: 3 });
    expect(variantOf(p, 'S', 'black')).toMatchObject({ unit_amount: 2000, inventory: 3 });
    expect(variantOf(p, 'L', 'black')).toMatchObject({ inventory: null, inventory_remaining: null });
    expect(variantOf(p, 'M', 'black').id).toMatch(/^var_/);
    // One variant is unlimited, so the product as a whole is.
    expect(p).toMatchObject({ inventory: null, inventory_remaining: null });
    expect(await kit.get<ProductBody>(`/v1/products/${p.id}`)).toEqual(p);
  });

  it.each([
    ['a value twice in an option', { options: [{ name: 'Size', values: ['M', 'm'] }], variants: [{ options: { Size: 'M' } }] }, 'options.0.values.1'],
    ['a synonym that names another value', { options: [{ name: 'Size', values: ['S', 'M'], synonyms: { S: ['small'], M: ['SMALL'] } }], variants: [{ options: { Size: 'M' } }] }, 'options.0.synonyms.M'],
    ['a variant without a value for an option', { options: TEE_OPTIONS, variants: [{ options: { Size: 'M' } }] }, 'variants.0.options.Colour'],
    ['a value the option does not have', { options: TEE_OPTIONS, variants: [{ options: { Size: 'XXL', Colour: 'black' } }] }, 'variants.0.options.Size'],
    ['an option the product does not have', { options: TEE_OPTIONS, variants: [{ options: { Size: 'M', Colour: 'black', Fit: 'slim' } }] }, 'variants.0.options.Fit'],
    ['the same combination twice', { options: TEE_OPTIONS, variants: [{ options: { Size: 'M', Colour: 'black' } }, { options: { Size: 'm', Colour: 'BLACK' } }] }, 'variants.1.options'],
    ['one SKU twice', { options: TEE_OPTIONS, variants: [{ options: { Size: 'M', Colour: 'black' }, sku: 'A' }, { options: { Size: 'S', Colour: 'black' }, sku: 'A' }] }, 'variants.1.sku'],
    ['options without variants', { options: TEE_OPTIONS, variants: [] }, 'variants'],
    ['inventory on a product with variants', { inventory: 5, options: TEE_OPTIONS, variants: [{ options: { Size: 'M', Colour: 'black' } }] }, 'inventory'],
    ['a value a post would split in two', { options: [{ name: 'Size', values: ['1,5'] }], variants: [{ options: { Size: '1,5' } }] }, 'options.0.values.0'],
    ['a value that is a hashtag', { options: [{ name: 'Size', values: ['#M'] }], variants: [{ options: { Size: '#M' } }] }, 'options.0.values.0'],
  ])('refuses %s with a 400 naming the field', async (_name, fields, field) => {
    const res = await kit.send('post', '/v1/products', { name: 'Tee', hashtag: 'BuyBadTee', unit_amount: 2000, currency: 'usd', ...fields });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('a SKU is unique among the merchant\'s live products (409), and free again once its product is archived', async () => {
    const first = await tee('BuyTeeSku');
    const clash = await kit.send('post', '/v1/products', {
      name: 'Other', hashtag: 'BuyOtherSku', unit_amount: 100, currency: 'usd', options: TEE_OPTIONS.slice(1),
      variants: [{ options: { Colour: 'black' }, sku: 'BuyTeeSku-M-BLK' }],
    });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: 'sku_taken', sku: 'BuyTeeSku-M-BLK' });
    await request(kit.app).delete(`/v1/products/${first.id}`).set({ Authorization: `Bearer ${kit.merchant.apiKey}` }).expect(200);
    const again = await kit.send('post', '/v1/products', {
      name: 'Other', hashtag: 'BuyOtherSku', unit_amount: 100, currency: 'usd', options: TEE_OPTIONS.slice(1),
      variants: [{ options: { Colour: 'black' }, sku: 'BuyTeeSku-M-BLK' }],
    });
    expect(again.status).toBe(201);
  });

  it('an update replaces the list: kept combinations keep their ids, dropped ones stop selling, stock never below what is sold', async () => {
    const p = await tee('BuyTeeEdit', 2);
    const mBlack = variantOf(p, 'M', 'black');
    const buyer = await kit.buyer('edit_buyer');
    await kit.post(buyer, '@shop #BuyTeeEdit M black x2');
    await kit.settle();

    const tooLow = await kit.send('patch', `/v1/products/${p.id}`, { variants: [{ options: { Size: 'M', Colour: 'black' }, inventory: 1 }] });
    expect(tooLow.status).toBe(409);
    expect(tooLow.body.code).toBe('inventory_below_committed');

    const res = await kit.send('patch', `/v1/products/${p.id}`, {
      variants: [{ options: { Size: 'M', Colour: 'black' }, inventory: 10, sku: 'NEW-SKU' }, { options: { Size: 'S', Colour: 'white' }, inventory: 4 }],
    });
    expect(res.status).toBe(200);
    expect(res.body.variants).toHaveLength(2);
    expect(variantOf(res.body, 'M', 'black')).toMatchObject({ id: mBlack.id, sku: 'NEW-SKU', inventory: 10, inventory_remaining: 8, unit_amount: 2000 });
    expect(res.body).toMatchObject({ inventory: 14, inventory_remaining: 12 });

    const inventoryAlone = await kit.send('patch', `/v1/products/${p.id}`, { inventory: 50 });
    expect(inventoryAlone.status).toBe(400);
    expect(inventoryAlone.body.errors[0].field).toBe('inventory');

    // A dropped variant no longer sells: L black is gone.
    const late = await kit.post(await kit.buyer('edit_late'), '@shop #BuyTeeEdit L black');
    await kit.settle();
    expect(await kit.ordersOfPost(late)).toEqual([]);
  });
});

describe('a buyer picks the variant in the post', () => {
  it('"#BuyTee medium Black x2" buys two of M/black at its own price; the order, its events and the receipt carry the variant', async () => {
    const p = await tee('BuyTeeBuy');
    const mBlack = variantOf(p, 'M', 'black');
    const postId = await kit.post(await kit.buyer('tee_buyer'), '@shop #BuyTeeBuy medium Black x2');
    await kit.settle();

    const [order] = await kit.ordersOfPost(postId);
    expect(order).toMatchObject({
      status: 'paid', quantity: 2, amount: 5000,
      variant: { id: mBlack.id, sku: 'BuyTeeBuy-M-BLK', options: { Size: 'M', Colour: 'black' }, label: 'M / black' },
    });
    const intent = kit.stripe.paymentIntents().find((pi) => pi.metadata.order_id === order!.id)!;
    expect(intent).toMatchObject({ amount: 5000, metadata: { variant_id: mBlack.id }, description: `2 × Tee (M / black) (${order!.id})` });
    const [receipt] = kit.repliesOn(postId);
    expect(receipt!.text).toMatch(/^Paid: 2 × Tee \(M \/ black\) \(\$50\.00\)/);
    expect(variantOf(await kit.get<ProductBody>(`/v1/products/${p.id}`), 'M', 'black')).toMatchObject({ inventory_remaining: 3 });

    const ofVariant = await kit.get<{ data: Array<{ id: string }> }>(`/v1/orders?variant=${mBlack.id}`);
    expect(ofVariant.data.map((o) => o.id)).toEqual([order!.id]);
    expect((await kit.get<{ data: unknown[] }>(`/v1/orders?variant=${variantOf(p, 'S', 'black').id}`)).data).toEqual([]);
    const events = await kit.get<{ data: Array<{ type: string; data: { object: Record<string, unknown> } }> }>('/v1/events?type=order.paid');
    const paid = events.data.find((e) => e.data.object.id === order!.id);
    expect(paid!.data.object.variant).toEqual(order!.variant);
  });

  it('a post that does not say which one gets a reply listing the choices, and no order', async () => {
    await tee('BuyTeeWhich');
    const missing = await kit.post(await kit.buyer('which_buyer'), '@shop #BuyTeeWhich M');
    const typo = await kit.post(await kit.buyer('typo_buyer'), '@shop #BuyTeeWhich M blak');
    const twoSizes = await kit.post(await kit.buyer('two_buyer'), '@shop #BuyTeeWhich M L black');
    await kit.settle();

    for (const postId of [missing, typo, twoSizes]) expect(await kit.ordersOfPost(postId)).toEqual([]);
    expect(kit.repliesOn(missing)[0]!.text).toBe(
      'Which one? Tee comes in Colour: black, white. Post again with your choice, e.g. @shop #BuyTeeWhich S black. Nothing was charged.');
    expect(kit.repliesOn(typo)[0]!.text).toMatch(/^Which one\? Did you mean black\? Tee comes in Colour: black, white\./);
    expect(kit.repliesOn(twoSizes)[0]!.text).toMatch(/^Which one\? Tee comes in Size: S, M, L\./);
    const { rows } = await kit.rt.db.query('SELECT outcome, reason FROM posts WHERE tweet_id = ANY($1) ORDER BY tweet_id', [[missing, typo, twoSizes]]);
    expect(rows).toEqual([
      { outcome: 'ambiguous', reason: 'variant_missing' }, { outcome: 'ambiguous', reason: 'variant_missing' }, { outcome: 'ambiguous', reason: 'variant_ambiguous' },
    ]);
  });

  it('option names and values never put a mention, hashtag or link in what the shop posts', async () => {
    await kit.send('post', '/v1/products', {
      name: 'Cap', hashtag: 'BuyCapSafe', unit_amount: 900, currency: 'usd', shipping: 'none',
      options: [{ name: '@XSupport see evil.com', values: ['one size', 'kids'] }],
      variants: [{ options: { '@XSupport see evil.com': 'one size' } }, { options: { '@XSupport see evil.com': 'kids' } }],
    }).then((res) => expect(res.status).toBe(201));
    const postId = await kit.post(await kit.buyer('cap_buyer'), '@shop #BuyCapSafe');
    await kit.settle();
    const text = kit.repliesOn(postId)[0]!.text;
    // The link is left out altogether; the mention loses its @.
    expect(text).toMatch(/^Which one\? Cap comes in XSupport see ?: one size, kids\./);
    expect(text).not.toMatch(/@XSupport|evil\.com/);
  });

  it('stock is per variant: M/black sells out (event and sold-out reply naming it) while other variants still sell', async () => {
    const p = await tee('BuyTeeStock', 1);
    const first = await kit.post(await kit.buyer('stock_a'), '@shop #BuyTeeStock M black');
    await kit.settle();
    const second = await kit.post(await kit.buyer('stock_b'), '@shop #BuyTeeStock black M');
    const other = await kit.post(await kit.buyer('stock_c'), '@shop #BuyTeeStock M white');
    await kit.settle();

    expect(await kit.ordersOfPost(first)).toMatchObject([{ status: 'paid', variant: { label: 'M / black' } }]);
    expect(await kit.ordersOfPost(second)).toMatchObject([{ status: 'sold_out', variant: { label: 'M / black' } }]);
    expect(await kit.ordersOfPost(other)).toMatchObject([{ status: 'paid', variant: { label: 'M / white' } }]);
    expect(kit.repliesOn(second)[0]!.text).toBe('Sorry, Tee (M / black) is sold out. You have not been charged.');

    const events = await kit.get<{ data: Array<{ type: string; data: { object: ProductBody; variant?: Record<string, unknown> } }> }>(
      '/v1/events?type=product.variant_sold_out');
    const soldOut = events.data.filter((e) => e.data.object.id === p.id);
    expect(soldOut).toHaveLength(2);
    expect(soldOut.map((e) => e.data.variant!.label).sort()).toEqual(['M / black', 'M / white']);
    expect(variantOf(soldOut[0]!.data.object, 'M', 'black')).toMatchObject({ inventory_remaining: 0 });
  });

  it("batches matched at once never sell a variant's last unit twice", async () => {
    await tee('BuyTeeRace', 2);
    const posts: string[] = [];
    for (let i = 0; i < 6; i++) posts.push(await kit.post(await kit.buyer(`race_${i}`), '@shop #BuyTeeRace M white'));
    const jobs = await kit.rt.queues.tweets.getJobs(['waiting', 'prioritized']);
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    await Promise.all(jobs.map((job) => kit.runJob('tweets', job)));
    for (const job of jobs) await job.remove();
    await kit.settle();
    const statuses = (await Promise.all(posts.map((id) => kit.ordersOfPost(id)))).map((orders) => orders[0]!.status);
    expect(statuses.filter((s) => s === 'paid')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'sold_out')).toHaveLength(4);
  });

  it('a declined card frees the variant\'s unit at once', async () => {
    const p = await tee('BuyTeeDecl', 1);
    const declined = await kit.post(await kit.buyer('decl_a', 'pm_card_chargeCustomerFail'), '@shop #BuyTeeDecl S black');
    await kit.settle();
    expect(await kit.ordersOfPost(declined)).toMatchObject([{ status: 'failed', variant: { label: 'S / black' } }]);
    expect(variantOf(await kit.get<ProductBody>(`/v1/products/${p.id}`), 'S', 'black')).toMatchObject({ inventory_remaining: 1 });
    const next = await kit.post(await kit.buyer('decl_b'), '@shop #BuyTeeDecl S black');
    await kit.settle();
    expect(await kit.ordersOfPost(next)).toMatchObject([{ status: 'paid' }]);
  });

  it('a refund with restock puts the unit back on its variant, and the next buyer of that variant gets it', async () => {
    const p = await tee('BuyTeeBack', 1);
    const first = await kit.post(await kit.buyer('back_a'), '@shop #BuyTeeBack S black');
    await kit.settle();
    const [paid] = await kit.ordersOfPost(first);
    expect(variantOf(await kit.get<ProductBody>(`/v1/products/${p.id}`), 'S', 'black')).toMatchObject({ inventory_remaining: 0 });

    const refund = await kit.send('post', `/v1/orders/${paid!.id}/refunds`, { restock: true });
    expect(refund.status).toBe(201);
    await kit.settle();
    expect(variantOf(await kit.get<ProductBody>(`/v1/products/${p.id}`), 'S', 'black')).toMatchObject({ inventory_remaining: 1 });
    const next = await kit.post(await kit.buyer('back_b'), '@shop #BuyTeeBack S black');
    await kit.settle();
    expect(await kit.ordersOfPost(next)).toMatchObject([{ status: 'paid', variant: { label: 'S / black' } }]);
  });

  it('a buyer without a card sees the variant on the signup page; if it sold out meanwhile, linking puts the order on the waitlist for that variant', async () => {
    await tee('BuyTeeLink', 1);
    const stranger = kit.x.createUser({ username: 'tee_stranger' });
    const waiting = await kit.post(stranger, '@shop #BuyTeeLink S black');
    await kit.settle();
    const signup = kit.repliesOn(waiting)[0]!.text;
    const url = new URL(/https?:\/\/\S+/.exec(signup)![0]);
    expect(signup).toMatch(/^Almost there! To buy Tee \(S \/ black\) \(\$20\.00\)/);
    const page = await request(kit.app).get(url.pathname).expect(200);
    expect(page.text).toContain('Tee (S / black)');
    // The same item name is what /account lists for the buyer's orders.
    expect((await ordersOfBuyer(kit.rt.db, stranger.id)).map((o) => o.product_name)).toEqual(['Tee (S / black)']);

    // The last S/black goes to a linked buyer; the stranger links a card afterwards.
    const quick = await kit.post(await kit.buyer('tee_quick'), '@shop #BuyTeeLink S black');
    await kit.settle();
    expect(await kit.ordersOfPost(quick)).toMatchObject([{ status: 'paid' }]);
    await kit.rt.buyers.linkTestCard(stranger.id, 'tee_stranger', 'pm_card_visa');
    const followups = await kit.rt.charging.resumeWaitingOrders(stranger.id, (await kit.rt.db.query<{ id: string }>('SELECT id FROM buyers WHERE x_user_id = $1', [stranger.id])).rows[0]!.id);
    expect(followups.filter((f) => f.kind === 'charge')).toEqual([]);
    expect(await kit.ordersOfPost(waiting)).toMatchObject([{ status: 'waitlisted', variant: { label: 'S / black' } }]);
  });
});

it('what the API answers about variants is what openapi.yaml describes', async () => {
  const { app, recorded } = recordResponses(kit.app);
  const auth = { Authorization: `Bearer ${kit.merchant.apiKey}` };
  const created = await request(app).post('/v1/products').set(auth).send({
    name: 'Tee', hashtag: 'BuyTeeSpec', unit_amount: 2000, currency: 'usd', shipping: 'none', options: TEE_OPTIONS, variants: teeVariants('BuyTeeSpec', 1),
  }).expect(201);
  await request(app).post('/v1/products').set(auth).send({ name: 'Tee', hashtag: 'BuyTeeSpec2', unit_amount: 1, currency: 'usd', options: TEE_OPTIONS, variants: [] }).expect(400);
  const postId = await kit.post(await kit.buyer('spec_buyer'), '@shop #BuyTeeSpec S black');
  await kit.settle();
  const { rows: [order] } = await kit.rt.db.query<{ id: string }>('SELECT id FROM orders WHERE tweet_id = $1', [postId]);
  await request(app).get(`/v1/orders/${order!.id}`).set(auth).expect(200);
  await request(app).get('/v1/orders').set(auth).expect(200);
  await request(app).get('/v1/orders?variant=prod_1').set(auth).expect(400);
  await request(app).get(`/v1/products/${created.body.id}`).set(auth).expect(200);
  await request(app).get('/v1/events?type=product.variant_sold_out').set(auth).expect(200);
  await request(app).patch(`/v1/products/${created.body.id}`).set(auth).send({ variants: [{ options: { Size: 'S', Colour: 'black' }, inventory: 0 }] }).expect(409);
  expect(recorded).toHaveLength(8);
  expect(conformanceProblems(recorded)).toEqual([]);
});
