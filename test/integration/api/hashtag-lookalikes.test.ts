import request from 'supertest';
import pg from 'pg';
import { DATA_STEPS } from '../../../src/db/data-migrations';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';

let t: TestApp;
let owner: string;
let rival: string;
beforeAll(async () => {
  t = await startTestApp();
  owner = (await t.createMerchant('Mug Co')).apiKey;
  rival = (await t.createMerchant('Rival')).apiKey;
});
afterAll(async () => {
  await t.close();
});

const auth = (k: string) => ({ Authorization: `Bearer ${k}` });
const mug = (hashtag: string) => ({ name: 'Blue Mug', hashtag, unit_amount: 1800, currency: 'usd' });
const create = (k: string, hashtag: string) => request(t.app).post('/v1/products').set(auth(k)).send(mug(hashtag));

/** What a review registered as a second merchant next to #BuyBlueMug: all were accepted. */
const LOOKS_ALIKE = [
  'BuyBIueMug', // capital I for l
  'BuyBlu\u0435Mug', // Cyrillic е
  'Bu\u0443BlueMug', // Cyrillic у
  'Buy\u0392lueMug', // Greek Β
  'BuyB1ueMug', // digit 1 for l
  'BuyB\u0130ueMug', // dotted İ for l
  'BuyBlue\u0301Mug', // combining accent
];
const INVISIBLE = ['\u034F', '\uFE0F', '\u180B', '\u3164', '\u115F'].map((c) => `BuyBlueMug${c}`);

describe('look-alike hashtags', () => {
  beforeAll(async () => {
    await create(owner, '#BuyBlueMug').expect(201);
  });

  it.each(LOOKS_ALIKE)('refuses %s from another merchant while #BuyBlueMug is live', async (tag) => {
    const res = await create(rival, tag).expect(409);
    expect(res.body).toMatchObject({ code: 'hashtag_look_alike', hashtag: `#${tag}` });
    expect(res.body.detail).toMatch(/looks too much like a hashtag already used/);
    expect(res.body.detail).not.toContain('BuyBlueMug');
  });

  it.each(INVISIBLE)('refuses a hashtag with an invisible character (%j)', async (tag) => {
    const res = await create(rival, tag).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([{ field: 'hashtag', message: expect.stringMatching(/invisible characters/) }]);
  });

  it('refuses a look-alike on PATCH too, and a product may keep its own hashtag', async () => {
    const p = (await create(rival, 'BuyRedMug').expect(201)).body;
    const res = await request(t.app).patch(`/v1/products/${p.id}`).set(auth(rival)).send({ hashtag: 'BuyB1ueMug' }).expect(409);
    expect(res.body.code).toBe('hashtag_look_alike');
    await request(t.app).patch(`/v1/products/${p.id}`).set(auth(rival)).send({ hashtag: 'BuyRedMug' }).expect(200);
  });

  it('still tells an exact clash apart from a look-alike', async () => {
    expect((await create(rival, 'BUYBLUEMUG').expect(409)).body.code).toBe('hashtag_taken');
  });

  it('frees the look-alikes once the product is archived', async () => {
    await create(owner, 'BuyGreenMug').expect(201);
    await create(rival, 'BuyGr\u0435enMug').expect(409);
    const list = (await request(t.app).get('/v1/products').set(auth(owner)).expect(200)).body.data as Array<{ id: string; hashtag: string }>;
    const green = list.find((p) => p.hashtag === '#BuyGreenMug')!;
    await request(t.app).delete(`/v1/products/${green.id}`).set(auth(owner)).expect(200);
    await create(rival, 'BuyGr\u0435enMug').expect(201);
  });

  it('gives products that predate the check their key when migrating; a live look-alike of an older one is left out and logged', async () => {
    const m = await t.createMerchant('Old');
    await t.db.query(
      `INSERT INTO products (id, merchant_id, name, hashtag, hashtag_key, unit_amount, currency, created_at) VALUES
         ('prod_old_a', $1, 'Old', 'OldTeaPot', 'oldteapot', 100, 'usd', now() - interval '2 days'),
         ('prod_old_b', $1, 'Copy', 'O1dTeaPot', 'o1dteapot', 100, 'usd', now() - interval '1 day')`,
      [m.id],
    );
    const warnings: unknown[] = [];
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    try {
      await DATA_STEPS[4]!(client, { warn: (obj: unknown) => warnings.push(obj) } as never);
    } finally {
      await client.end();
    }
    const { rows } = await t.db.query(`SELECT id, hashtag_skeleton FROM products WHERE id LIKE 'prod_old_%' ORDER BY id`);
    expect(rows).toEqual([{ id: 'prod_old_a', hashtag_skeleton: 'oldteapot' }, { id: 'prod_old_b', hashtag_skeleton: null }]);
    expect(warnings).toEqual([{ products: ['prod_old_b'] }]);
    // Registration now sees the old product too.
    expect((await create(rival, 'OldTeaP0t').expect(409)).body.code).toBe('hashtag_look_alike');
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
