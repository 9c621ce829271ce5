import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';

let t: TestApp;
let key: string;
beforeAll(async () => {
  t = await startTestApp();
  key = (await t.createMerchant('Mug Co')).apiKey;
});
afterAll(async () => {
  await t.close();
});

const auth = (k = key) => ({ Authorization: `Bearer ${k}` });
const mug = (over: Record<string, unknown> = {}) => ({ name: 'Blue Mug', hashtag: `#BuyMug${Math.random().toString(36).slice(2, 8)}`, unit_amount: 1800, currency: 'usd', ...over });

describe('products', () => {
  it('creates, reads, lists, updates and archives a product', async () => {
    const created = await request(t.app).post('/v1/products').set(auth()).send(mug({ hashtag: 'BuyBlueMug', inventory: 5, max_per_order: 2, metadata: { sku: 'MUG-1' } })).expect(201);
    const p = created.body;
    expect(p).toMatchObject({
      object: 'product', name: 'Blue Mug', hashtag: '#BuyBlueMug', unit_amount: 1800, currency: 'usd',
      inventory: 5, inventory_remaining: 5, max_per_order: 2, status: 'active', metadata: { sku: 'MUG-1' }, description: null,
    });
    expect(p.id).toMatch(/^prod_/);
    expect(typeof p.created).toBe('number');

    expect((await request(t.app).get(`/v1/products/${p.id}`).set(auth()).expect(200)).body).toEqual(p);

    const patched = await request(t.app).patch(`/v1/products/${p.id}`).set(auth()).send({ unit_amount: 2000, inventory: null, metadata: { color: 'blue', sku: '' } }).expect(200);
    expect(patched.body).toMatchObject({ unit_amount: 2000, inventory: null, inventory_remaining: null, metadata: { color: 'blue' } });

    const archived = await request(t.app).delete(`/v1/products/${p.id}`).set(auth()).expect(200);
    expect(archived.body.status).toBe('archived');
    const edit = await request(t.app).patch(`/v1/products/${p.id}`).set(auth()).send({ name: 'x' }).expect(409);
    expect(edit.body.code).toBe('product_archived');
    // An archived product frees its hashtag.
    await request(t.app).post('/v1/products').set(auth()).send(mug({ hashtag: '#buybluemug' })).expect(201);
  });

  it('says whether a product ships and where: physical goods shipped anywhere by default', async () => {
    const physical = (await request(t.app).post('/v1/products').set(auth()).send(mug()).expect(201)).body;
    expect(physical).toMatchObject({ shipping: 'required', shipping_countries: null });
    const digital = (await request(t.app).post('/v1/products').set(auth()).send(mug({ shipping: 'none' })).expect(201)).body;
    expect(digital).toMatchObject({ shipping: 'none', shipping_countries: null });

    // Codes are taken in any case, kept upper case, once each.
    const patched = await request(t.app).patch(`/v1/products/${physical.id}`).set(auth()).send({ shipping_countries: ['us', 'CA', 'US'] }).expect(200);
    expect(patched.body.shipping_countries).toEqual(['US', 'CA']);
    expect((await request(t.app).get(`/v1/products/${physical.id}`).set(auth()).expect(200)).body).toMatchObject({ shipping: 'required', shipping_countries: ['US', 'CA'] });
    const anywhere = await request(t.app).patch(`/v1/products/${physical.id}`).set(auth()).send({ shipping_countries: null, shipping: 'none' }).expect(200);
    expect(anywhere.body).toMatchObject({ shipping: 'none', shipping_countries: null });
  });

  it('counts reserved and sold units as gone and refuses inventory below them', async () => {
    const p = (await request(t.app).post('/v1/products').set(auth()).send(mug({ inventory: 10 })).expect(201)).body;
    await t.db.query('UPDATE products SET reserved = 3, sold = 2 WHERE id = $1', [p.id]);
    const got = await request(t.app).get(`/v1/products/${p.id}`).set(auth()).expect(200);
    expect(got.body.inventory_remaining).toBe(5);
    const res = await request(t.app).patch(`/v1/products/${p.id}`).set(auth()).send({ inventory: 4 }).expect(409);
    expect(res.body.code).toBe('inventory_below_committed');
    await request(t.app).patch(`/v1/products/${p.id}`).set(auth()).send({ inventory: 5 }).expect(200);
  });

  it('keeps hashtags unique among live products across merchants, ignoring case and width', async () => {
    await request(t.app).post('/v1/products').set(auth()).send(mug({ hashtag: '#BuyRedMug' })).expect(201);
    const other = await t.createMerchant('Rival');
    const clash = await request(t.app).post('/v1/products').set(auth(other.apiKey)).send(mug({ hashtag: 'buyredmug' })).expect(409);
    expect(clash.body).toMatchObject({ code: 'hashtag_taken', hashtag: '#buyredmug' });
    expect(clash.body.detail).toContain('#buyredmug');
    // Fullwidth letters fold to the same tag under NFKC.
    await request(t.app).post('/v1/products').set(auth(other.apiKey)).send(mug({ hashtag: 'ＢｕｙＲｅｄＭｕｇ' })).expect(409);
    const p = (await request(t.app).post('/v1/products').set(auth(other.apiKey)).send(mug({ hashtag: 'BuyGreenMug' })).expect(201)).body;
    await request(t.app).patch(`/v1/products/${p.id}`).set(auth(other.apiKey)).send({ hashtag: '#BUYREDMUG' }).expect(409);
  });

  it.each([
    [{ hashtag: '#12345' }, 'hashtag', /letter/],
    [{ hashtag: '#buy-mug' }, 'hashtag', /letters, digits and underscores/],
    [{ hashtag: `#${'a'.repeat(101)}` }, 'hashtag', /100/],
    [{ hashtag: '' }, 'hashtag', /empty/],
    [{ unit_amount: 12.5 }, 'unit_amount', /integer/],
    [{ unit_amount: '1800' }, 'unit_amount', /number/],
    [{ unit_amount: 0 }, 'unit_amount', /at least 1/],
    [{ currency: 'USD' }, 'currency', /lower-case/],
    [{ currency: 'xyz' }, 'currency', /ISO 4217/],
    [{ inventory: -1 }, 'inventory', /0 or more/],
    [{ max_per_order: 0 }, 'max_per_order', /at least 1/],
    [{ starts_at: 'tomorrow' }, 'starts_at', /ISO 8601/],
    [{ starts_at: '2026-12-02T00:00:00Z', ends_at: '2026-12-01T00:00:00Z' }, 'ends_at', /after starts_at/],
    [{ name: undefined }, 'name', /.+/],
    [{ metadata: { k: 5 } }, 'metadata.k', /string/],
    [{ shipping: 'maybe' }, 'shipping', /required|none/],
    [{ shipping_countries: ['ZZ'] }, 'shipping_countries.0', /ISO 3166-1 alpha-2/],
    [{ shipping_countries: ['USA'] }, 'shipping_countries.0', /alpha-2/],
    [{ shipping_countries: [] }, 'shipping_countries', /at least one/],
  ])('rejects %j with a 400 naming %s', async (over, field, message) => {
    const res = await request(t.app).post('/v1/products').set(auth()).send(mug(over)).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    const e = res.body.errors.find((x: { field: string }) => x.field === field);
    expect(e).toBeDefined();
    expect(e.message).toMatch(message);
  });

  it('answers 400 naming unknown fields, 400 for malformed JSON, 415 for other types, 413 over 100 kB', async () => {
    const unknown = await request(t.app).post('/v1/products').set(auth()).send(mug({ colour: 'blue', size: 'L' })).expect(400);
    expect(unknown.body).toMatchObject({ code: 'unknown_fields' });
    expect(unknown.body.detail).toContain('colour');
    expect(unknown.body.detail).toContain('size');

    const bad = await request(t.app).post('/v1/products').set(auth()).set('Content-Type', 'application/json').send('{"name": "Mug",').expect(400);
    expect(bad.body.code).toBe('malformed_json');

    const form = await request(t.app).post('/v1/products').set(auth()).type('form').send('name=Mug').expect(415);
    expect(form.body.code).toBe('unsupported_media_type');
    await request(t.app).post('/v1/products').set(auth()).set('Content-Type', 'text/plain').send('hi').expect(415);

    const big = await request(t.app).post('/v1/products').set(auth()).send(mug({ description: 'x'.repeat(110_000) })).expect(413);
    expect(big.body.code).toBe('payload_too_large');

    const arr = await request(t.app).post('/v1/products').set(auth()).send([1, 2]).expect(400);
    expect(arr.body.code).toBe('validation_failed');
  });

  it('answers 401 for missing, malformed and unknown keys, and 404 for unknown routes', async () => {
    const none = await request(t.app).get('/v1/products').expect(401);
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    await request(t.app).get('/v1/products').set('Authorization', 'Bearer hck_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').expect(401);
    await request(t.app).get('/v1/products').set('Authorization', 'Token abc').expect(401);
    const nf = await request(t.app).get('/v1/nothing-here').set(auth()).expect(404);
    expect(nf.body).toMatchObject({ code: 'route_not_found', status: 404 });
    expect(nf.body.request_id).toBe(nf.headers['x-request-id']);
    await request(t.app).get('/v1/products/prod_doesnotexist').set(auth()).expect(404);
    await request(t.app).get('/v1/products/not-an-id').set(auth()).expect(404);
  });

  it("hides another merchant's products behind 404", async () => {
    const p = (await request(t.app).post('/v1/products').set(auth()).send(mug()).expect(201)).body;
    const other = await t.createMerchant('Nosy');
    for (const call of [
      request(t.app).get(`/v1/products/${p.id}`),
      request(t.app).patch(`/v1/products/${p.id}`).send({ name: 'mine now' }),
      request(t.app).delete(`/v1/products/${p.id}`),
    ]) {
      const res = await call.set(auth(other.apiKey)).expect(404);
      expect(res.body.code).toBe('resource_missing');
    }
    const list = await request(t.app).get('/v1/products').set(auth(other.apiKey)).expect(200);
    expect(list.body.data).toEqual([]);
    expect((await request(t.app).get(`/v1/products/${p.id}`).set(auth()).expect(200)).body.name).toBe('Blue Mug');
  });

  it('paginates across pages and filters by status', async () => {
    const m = await t.createMerchant('Many');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await request(t.app).post('/v1/products').set(auth(m.apiKey)).send(mug({ name: `P${i}` })).expect(201)).body.id);
    await request(t.app).delete(`/v1/products/${ids[0]}`).set(auth(m.apiKey)).expect(200);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await request(t.app).get('/v1/products').query({ limit: 3, ...(cursor ? { starting_after: cursor } : {}) }).set(auth(m.apiKey)).expect(200);
      pages++;
      seen.push(...res.body.data.map((p: { id: string }) => p.id));
      cursor = res.body.has_more ? res.body.data.at(-1).id : undefined;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const active = await request(t.app).get('/v1/products').query({ status: 'active', limit: 100 }).set(auth(m.apiKey)).expect(200);
    expect(active.body.data).toHaveLength(6);
    await request(t.app).get('/v1/products').query({ status: 'gone' }).set(auth(m.apiKey)).expect(400);
  });

  it('replays a POST with the same Idempotency-Key and refuses the key for another body', async () => {
    const body = mug();
    const first = await request(t.app).post('/v1/products').set(auth()).set('Idempotency-Key', 'create-mug-1').send(body).expect(201);
    const again = await request(t.app).post('/v1/products').set(auth()).set('Idempotency-Key', 'create-mug-1').send(body).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM products WHERE hashtag = $1', [body.hashtag.slice(1)]);
    expect(rows[0].n).toBe(1);

    const mismatch = await request(t.app).post('/v1/products').set(auth()).set('Idempotency-Key', 'create-mug-1').send({ ...body, unit_amount: 1 }).expect(422);
    expect(mismatch.body.code).toBe('idempotency_key_reused');

    // Keys are scoped per merchant: another merchant may use the same key.
    const other = await t.createMerchant();
    await request(t.app).post('/v1/products').set(auth(other.apiKey)).set('Idempotency-Key', 'create-mug-1').send(mug()).expect(201);

    // A 4xx is replayed too, as Stripe does.
    const conflict = mug({ hashtag: body.hashtag });
    await request(t.app).post('/v1/products').set(auth()).set('Idempotency-Key', 'dup-2').send(conflict).expect(409);
    await request(t.app).post('/v1/products').set(auth()).set('Idempotency-Key', 'dup-2').send(conflict).expect(409);
    await request(t.app).post('/v1/products').set(auth()).set('Idempotency-Key', 'x'.repeat(256)).send(mug()).expect(400);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
