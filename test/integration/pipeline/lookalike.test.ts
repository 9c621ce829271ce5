import { createTestDatabase, type TestDatabase } from '../../support/db';
import { createPool, type Db } from '../../../src/db/pool';
import { createMatchingService } from '../../../src/posts/matching.service';
import { createLinkSigner } from '../../../src/links/links';
import type { InboundPost } from '../../../src/x/x.port';

let database: TestDatabase;
let db: Db;
let seq = 2_000_000;
const signer = createLinkSigner('lookalike-test-secret-0123456789abcdef');
const matching = () => createMatchingService({ db, signer, publicBaseUrl: 'https://shop.test', shopUsername: 'shop', shopUserId: '42', requireMention: true });

/** A post as X delivers it: the hashtag entity keeps the invisible character X counts as part of the tag. */
function post(text: string, hashtags: string[]): InboundPost {
  const id = String(++seq);
  return { id, text, authorId: '777', authorUsername: 'buyer', createdAt: new Date().toISOString(), hashtags, mentions: [{ username: 'shop' }], referenced: [], editHistoryIds: [id] };
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(database.url, 4);
  await db.query(`INSERT INTO merchants (id, name) VALUES ('mer_real', 'Mug Co'), ('mer_rival', 'Rival')`);
  await db.query(`INSERT INTO buyers (id, x_user_id, stripe_customer_id, payment_method_id) VALUES ('buy_b', '777', 'cus_1', 'pm_1')`);
  // The real product, and look-alikes registered before registration refused invisible
  // characters, with the keys that registration computed then (invisible character kept;
  // NFKC turns U+3164 into U+1160).
  await db.query(
    `INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, max_per_order) VALUES
       ('prod_real', 'mer_real', 'Blue Mug', 'BuyBlueMug', 'buybluemug', 1800, 'usd', 5),
       ('prod_rival_034f', 'mer_rival', 'Blue Mug', $1, $2, 1800, 'usd', 5),
       ('prod_rival_3164', 'mer_rival', 'Blue Mug', $3, $4, 1800, 'usd', 5)`,
    ['BuyBlueMug\u034F', 'buybluemug\u034f', 'BuyBlueMug\u3164', 'buybluemug\u1160'],
  );
});
afterAll(async () => {
  await db.end();
  await database.drop();
});

describe('a post whose hashtag carries an invisible character', () => {
  it.each(['\u034F', '\u3164', '\uFE0F'])('buys from the merchant whose hashtag it shows (%j)', async (c) => {
    const p = post(`@shop #BuyBlueMug${c} x2`, [`BuyBlueMug${c}`]);
    const r = await matching().handlePost(p);
    expect(r.outcome).toBe('order_created');
    const { rows } = await db.query('SELECT product_id, quantity FROM orders WHERE id = ANY($1)', [r.orderIds]);
    expect(rows).toEqual([{ product_id: 'prod_real', quantity: 2 }]);
  });
});
