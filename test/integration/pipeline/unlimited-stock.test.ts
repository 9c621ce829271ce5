import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { createPool, withTransaction, type Db, type Tx } from '../../../src/db/pool';
import { createMatchingService } from '../../../src/posts/matching.service';
import { lockStock } from '../../../src/posts/batch.repository';
import { markOrdersPaid, startCharges } from '../../../src/orders/charges.store';
import { createLinkSigner } from '../../../src/links/links';
import type { InboundPost } from '../../../src/x/x.port';

/**
 * A product of unlimited stock has nothing to oversell: its sale must not queue every batch and
 * every settle on its row. And when its merchant sets a limit while it sells, what is left is the
 * new inventory less what its orders hold and sold, and no batch sells past it.
 */

jest.setTimeout(60_000);

let t: TestApp;
let key: string;
// The matcher's own pool: a batch that queues on a lock gives up after a second instead of hanging.
let impatient: Db;
const signer = createLinkSigner('unlimited-stock-secret-0123456789abcdef');
const matching = () => createMatchingService({ db: impatient, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true });

beforeAll(async () => {
  t = await startTestApp();
  key = (await t.createMerchant('Tee Co')).apiKey;
  const url = new URL(t.database.url);
  url.searchParams.set('options', '-c lock_timeout=1000');
  impatient = createPool(url.toString(), 8);
});
afterAll(async () => {
  await impatient.end();
  await t.close();
});

const auth = () => ({ Authorization: `Bearer ${key}` });
let seq = 1_900_000_000_000_000_000n;
let buyers = 0;
async function linkedBuyer(): Promise<string> {
  const xUserId = String(5000 + ++buyers);
  await t.db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id) VALUES ($1, $2, $3, 'pm_card_visa')`,
    [`buy_${xUserId}`, xUserId, `cus_${xUserId}`]);
  return xUserId;
}
function post(hashtag: string, authorId: string, words = ''): InboundPost {
  const id = String(++seq);
  return { id, text: `@shop #${hashtag}${words}`, authorId, authorUsername: `u${authorId}`, createdAt: new Date().toISOString(), hashtags: [hashtag],
    mentions: [{ username: 'shop' }], referenced: [], editHistoryIds: [id] };
}
async function unlimitedProduct(hashtag: string): Promise<string> {
  const created = await request(t.app).post('/v1/products').set(auth())
    .send({ name: 'Tee', hashtag, unit_amount: 1500, currency: 'usd', shipping: 'none' }).expect(201);
  expect(created.body).toMatchObject({ inventory: null, inventory_remaining: null });
  return created.body.id;
}
async function buy(hashtag: string, authorId?: string): Promise<string> {
  const r = await matching().handlePost(post(hashtag, authorId ?? (await linkedBuyer())));
  expect(r.outcome).toBe('order_created');
  return r.orderIds[0]!;
}
const pay = (db: Db | Tx, orderId: string) =>
  markOrdersPaid(db, [{ orderId, paymentIntentId: `pi_${orderId}`, receipt: { id: `rep_${orderId}`, text: 'Paid' } }]);
const statuses = async (productId: string) =>
  (await t.db.query<{ status: string; n: number }>('SELECT status, sum(quantity)::int AS n FROM orders WHERE product_id = $1 GROUP BY status', [productId])).rows
    .reduce<Record<string, number>>((a, r) => ({ ...a, [r.status]: r.n }), {});

describe('a product of unlimited stock', () => {
  it('sells while a settle of one of its orders, or another batch of it, is still open: neither holds what a batch waits for', async () => {
    const productId = await unlimitedProduct('BuyTeeNow');
    const first = await buy('BuyTeeNow');
    const second = await buy('BuyTeeNow');
    // Another connection settles an order of the product and has not committed yet.
    const settling = await t.db.connect();
    try {
      await settling.query('BEGIN');
      await pay(settling, first);
      // This batch would queue behind it on the product's row (and give up after a second).
      const r = await matching().handleBatch([post('BuyTeeNow', await linkedBuyer()), post('BuyTeeNow', await linkedBuyer())]);
      expect(r.results.map((x) => x.outcome)).toEqual(['order_created', 'order_created']);
      await settling.query('COMMIT');
    } finally {
      await settling.query('ROLLBACK').catch(() => undefined);
      settling.release();
    }
    expect(await statuses(productId)).toEqual({ paid: 1, reserved: 3 });

    // Another batch of the product holds its lock, mid-flight: a batch and a settle go on meanwhile.
    const other = await t.db.connect();
    try {
      await other.query('BEGIN');
      await lockStock(other, [productId], 'share');
      expect((await matching().handlePost(post('BuyTeeNow', await linkedBuyer()))).outcome).toBe('order_created');
      await withTransaction(impatient, (tx) => pay(tx, second));
      await other.query('COMMIT');
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
    expect(await statuses(productId)).toEqual({ paid: 2, reserved: 3 });
    // The merchant still sees unlimited stock.
    expect((await request(t.app).get(`/v1/products/${productId}`).set(auth()).expect(200)).body).toMatchObject({ inventory: null, inventory_remaining: null });
  });

  it('given a limit while orders are held, charged, paid and refunded: what is left counts them all, and batches racing the switch never sell past it', async () => {
    const productId = await unlimitedProduct('BuyTeeLater');
    const reserved = await buy('BuyTeeLater');
    const charging = await buy('BuyTeeLater');
    const paid = await buy('BuyTeeLater');
    const refunded = await buy('BuyTeeLater');
    const restocked = await buy('BuyTeeLater');
    // A buyer without a card holds nothing until they link one.
    expect((await matching().handlePost(post('BuyTeeLater', '9999'))).outcome).toBe('awaiting_signup');
    await startCharges(t.db, [charging, paid, refunded, restocked]);
    for (const id of [paid, refunded, restocked]) await pay(t.db, id);
    // Refunded: one keeps its unit sold (no restock), one put it back (what a refund with restock records).
    await t.db.query(`UPDATE orders SET status = 'refunded' WHERE id = ANY($1)`, [[refunded, restocked]]);
    await t.db.query('UPDATE orders SET restocked_at = now() WHERE id = $1', [restocked]);
    expect(await statuses(productId)).toEqual({ reserved: 1, charging: 1, paid: 1, refunded: 2, awaiting_signup: 1 });
    void reserved;

    // Held: reserved + charging (2); sold: paid + refunded without restock (2). A limit of 10 leaves 6.
    const limited = await request(t.app).patch(`/v1/products/${productId}`).set(auth()).send({ inventory: 10 }).expect(200);
    expect(limited.body).toMatchObject({ inventory: 10, inventory_remaining: 6 });
    // Below what is already committed is refused, as for any product.
    const below = await request(t.app).patch(`/v1/products/${productId}`).set(auth()).send({ inventory: 3 }).expect(409);
    expect(below.body.code).toBe('inventory_below_committed');

    // The charge in flight settles against the limit now: its unit moves from held to sold.
    await pay(t.db, charging);
    expect((await request(t.app).get(`/v1/products/${productId}`).set(auth()).expect(200)).body).toMatchObject({ inventory_remaining: 6 });

    // Back to unlimited, a few more sales, then a limit again while batches race the switch: a
    // batch in flight holds the product (the switch waits for it), many more arrive meanwhile.
    await request(t.app).patch(`/v1/products/${productId}`).set(auth()).send({ inventory: null }).expect(200);
    for (let i = 0; i < 3; i++) await buy('BuyTeeLater');
    const inFlight = await t.db.connect();
    let racing: Array<Promise<unknown>>;
    let switched: Promise<request.Response>;
    try {
      await inFlight.query('BEGIN');
      await lockStock(inFlight, [productId], 'unlimited');
      // Committed now: 4 reserved, 3 sold (2 paid, 1 refunded without restock): a limit of 12 leaves 5 for 16 buyers racing.
      switched = request(t.app).patch(`/v1/products/${productId}`).set(auth()).send({ inventory: 12 }).then((r) => r);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const racers = await Promise.all(Array.from({ length: 16 }, () => linkedBuyer()));
      const generous = createMatchingService({ db: t.db, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true });
      racing = racers.map((authorId) => generous.handlePost(post('BuyTeeLater', authorId)));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await inFlight.query('COMMIT');
    } finally {
      inFlight.release();
    }
    expect((await switched).status).toBe(200);
    await Promise.all(racing);

    const after = (await request(t.app).get(`/v1/products/${productId}`).set(auth()).expect(200)).body;
    expect(after).toMatchObject({ inventory: 12, inventory_remaining: 0 });
    // Five racers took the five units; the rest wait in line. Nothing sold past the limit.
    expect(await statuses(productId)).toEqual({ reserved: 4 + 5, waitlisted: 11, paid: 2, refunded: 2, awaiting_signup: 1 });
    const { rows: [counters] } = await t.db.query('SELECT reserved, sold FROM products WHERE id = $1', [productId]);
    expect(counters).toEqual({ reserved: 9, sold: 3 });
  });
  it('given a limit on one variant: the variant\'s units held and sold count, and the product keeps count from then on', async () => {
    const options = [{ name: 'Size', values: ['S', 'M'] }];
    const created = await request(t.app).post('/v1/products').set(auth()).send({
      name: 'Cap', hashtag: 'BuyCapSize', unit_amount: 1500, currency: 'usd', shipping: 'none', max_per_order: 5, options,
      variants: [{ options: { Size: 'S' }, inventory: null }, { options: { Size: 'M' }, inventory: null }],
    }).expect(201);
    const productId = created.body.id as string;
    const buyM = async (n: number) => (await matching().handlePost(post('BuyCapSize', await linkedBuyer(), ` M x${n}`))).orderIds[0]!;
    await buyM(2);
    const paidM = await buyM(1);
    await startCharges(t.db, [paidM]);
    await pay(t.db, paidM);
    expect(await statuses(productId)).toEqual({ reserved: 2, paid: 1 });

    const limited = await request(t.app).patch(`/v1/products/${productId}`).set(auth())
      .send({ options, variants: [{ options: { Size: 'S' }, inventory: null }, { options: { Size: 'M' }, inventory: 4 }] }).expect(200);
    const m = limited.body.variants.find((v: { options: { Size: string } }) => v.options.Size === 'M');
    expect(m).toMatchObject({ inventory: 4, inventory_remaining: 1 });
    // One unit of M is left: a buyer asking for two is told it is sold out, one asking for one gets it.
    expect((await matching().handlePost(post('BuyCapSize', await linkedBuyer(), ' M x2'))).outcome).toBe('sold_out');
    expect((await matching().handlePost(post('BuyCapSize', await linkedBuyer(), ' M'))).outcome).toBe('order_created');
    const { rows: [counters] } = await t.db.query('SELECT reserved, sold FROM products WHERE id = $1', [productId]);
    expect(counters).toEqual({ reserved: 3, sold: 1 });
  });
});
