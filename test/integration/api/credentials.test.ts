import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { startTestApp, testConfig, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createLogger } from '../../../src/logger';
import { createApp } from '../../../src/http/app';

/** What the service would print, one JSON line per event. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  return { log: createLogger('info', stream), lines };
}

const LIVE_ENV = {
  STRIPE_SECRET_KEY: 'sk_live_credentialsTest123', STRIPE_API_BASE: 'http://127.0.0.1:1', X_BEARER_TOKEN: 'b', X_API_KEY: 'k',
  X_API_SECRET: 's', X_ACCESS_TOKEN: 't', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c',
};

const logs = capture();
let t: TestApp;
beforeAll(async () => {
  // Behind a trusted proxy on loopback, so each test can play clients at different addresses.
  t = await startTestApp({ AUTH_FAILURES_PER_IP: '5', AUTH_FAILURES_PER_CREDENTIAL: '8', TRUST_PROXY: 'loopback' }, { log: logs.log });
});
afterAll(async () => {
  await t.close();
});

const admin = () => ({ Authorization: `Bearer ${t.admin}` });
const randomKey = (mode = 'test') => `hck_${mode}_${Array.from({ length: 32 }, () => 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(Math.random() * 56)]).join('')}`;

describe('a replay never reveals a secret (Idempotency-Key on key-issuing endpoints)', () => {
  it('POST /v1/merchants: the first answer carries the key, the stored row and the replay do not', async () => {
    const first = await request(t.app).post('/v1/merchants').set(admin()).set('Idempotency-Key', 'merchant-once').send({ name: 'Once Co' }).expect(201);
    expect(first.body.api_key).toMatch(/^hck_test_/);
    const { rows } = await t.db.query("SELECT response_body FROM idempotency_keys WHERE key = 'merchant-once'");
    expect(rows).toHaveLength(1);
    expect(rows[0].response_body).not.toContain(first.body.api_key);

    const replay = await request(t.app).post('/v1/merchants').set(admin()).set('Idempotency-Key', 'merchant-once').send({ name: 'Once Co' }).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, api_key: null });
    expect(JSON.stringify(replay.body)).not.toContain(first.body.api_key);
    // The key shown the first time still works: only the copy was left out.
    await request(t.app).get('/v1/products').set('Authorization', `Bearer ${first.body.api_key}`).expect(200);
  });

  it('POST /v1/merchants/{id}/api_keys: the same', async () => {
    const m = await t.createMerchant('Rotate Co');
    const first = await request(t.app).post(`/v1/merchants/${m.id}/api_keys`).set(admin()).set('Idempotency-Key', 'key-once').expect(201);
    expect(first.body.secret).toMatch(/^hck_test_/);
    const { rows } = await t.db.query("SELECT response_body FROM idempotency_keys WHERE key = 'key-once'");
    expect(rows[0].response_body).not.toContain(first.body.secret);
    const replay = await request(t.app).post(`/v1/merchants/${m.id}/api_keys`).set(admin()).set('Idempotency-Key', 'key-once').expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, secret: null });
  });
});

describe('responses stored before the fix', () => {
  it('lose their secrets when migration 006 runs', async () => {
    const sql = fs.readFileSync(path.resolve(__dirname, '../../../src/db/migrations/006_idempotency_forget_secrets.sql'), 'utf8');
    const old = { id: 'mer_old', object: 'merchant', name: 'Old', created: 1, api_key: 'hck_live_OldSecretOldSecretOldSecret1234', api_key_id: 'key_old' };
    await t.db.query("INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body) VALUES ('admin', 'before-006', 'h', 201, $1)", [JSON.stringify(old)]);
    await t.db.query(sql);
    const { rows } = await t.db.query("SELECT response_body FROM idempotency_keys WHERE key = 'before-006'");
    expect(JSON.parse(rows[0].response_body)).toEqual({ ...old, api_key: null });
  });
});

describe('failed authentication is limited per client and per credential, and logged without the secret', () => {
  it('merchant keys: after 5 failures from one address it answers 429 without looking the key up; other clients go on', async () => {
    const m = await t.createMerchant('Guarded Co');
    const attacker = '203.0.113.10';
    const guesses = Array.from({ length: 5 }, () => randomKey());
    for (const g of guesses) {
      const res = await request(t.app).get('/v1/products').set('X-Forwarded-For', attacker).set('Authorization', `Bearer ${g}`).expect(401);
      expect(res.body.code).toBe('unauthorized');
    }
    const queries = jest.spyOn(t.db, 'query');
    const blocked = await request(t.app).get('/v1/products').set('X-Forwarded-For', attacker).set('Authorization', `Bearer ${randomKey()}`).expect(429);
    expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(blocked.body.code).toBe('too_many_auth_failures');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right key is not looked up from that address while it is blocked.
    await request(t.app).get('/v1/products').set('X-Forwarded-For', attacker).set('Authorization', `Bearer ${m.apiKey}`).expect(429);
    expect(queries.mock.calls.filter(([sql]) => /api_keys/.test(String(sql)))).toHaveLength(0);
    queries.mockRestore();

    await request(t.app).get('/v1/products').set('X-Forwarded-For', '198.51.100.20').set('Authorization', `Bearer ${m.apiKey}`).expect(200);

    const warned = logs.lines.filter((l) => l.includes('"authentication failed"'));
    expect(warned.length).toBeGreaterThanOrEqual(5);
    expect(warned.some((l) => l.includes('"merchant_key"') && l.includes(attacker) && l.includes(guesses[0]!.slice(0, 13)))).toBe(true);
    for (const g of guesses) expect(logs.lines.join('\n')).not.toContain(g);
  });

  it('merchant keys: guesses at one key prefix from many addresses are limited too', async () => {
    const prefix = 'hck_test_Zq7w';
    const guess = () => `${prefix}${randomKey().slice(13)}`;
    for (let i = 0; i < 8; i++) {
      await request(t.app).get('/v1/orders').set('X-Forwarded-For', `192.0.2.${i + 1}`).set('Authorization', `Bearer ${guess()}`).expect(401);
    }
    const res = await request(t.app).get('/v1/orders').set('X-Forwarded-For', '192.0.2.99').set('Authorization', `Bearer ${guess()}`).expect(429);
    expect(res.body.code).toBe('too_many_auth_failures');
  });

  it('the operator token: 429 after 5 wrong tokens from one address, logged without the guess; the token still works elsewhere', async () => {
    const attacker = '203.0.113.11';
    for (let i = 0; i < 5; i++) {
      await request(t.app).get('/v1/merchants').set('X-Forwarded-For', attacker).set('Authorization', `Bearer wrong-operator-token-${i}-xxxxxxxx`).expect(401);
    }
    const res = await request(t.app).get('/v1/merchants').set('X-Forwarded-For', attacker).set('Authorization', `Bearer ${t.admin}`).expect(429);
    expect(res.body.code).toBe('too_many_auth_failures');
    await request(t.app).get('/v1/merchants').set('X-Forwarded-For', '198.51.100.21').set(admin()).expect(200);
    const all = logs.lines.join('\n');
    expect(all).not.toContain('wrong-operator-token-');
    expect(logs.lines.some((l) => l.includes('"authentication failed"') && l.includes('"operator_token"') && l.includes(attacker))).toBe(true);
  });
});

describe('trusted proxies (TRUST_PROXY)', () => {
  it('by default X-Forwarded-For is ignored: a client cannot pick a fresh address for each guess', async () => {
    const d = await startTestApp({ AUTH_FAILURES_PER_IP: '3', AUTH_FAILURES_PER_CREDENTIAL: '1000' });
    try {
      for (let i = 0; i < 3; i++) {
        await request(d.app).get('/v1/products').set('X-Forwarded-For', `10.0.0.${i + 1}`).set('Authorization', `Bearer ${randomKey()}`).expect(401);
      }
      await request(d.app).get('/v1/products').set('X-Forwarded-For', '10.0.0.200').set('Authorization', `Bearer ${randomKey()}`).expect(429);
    } finally {
      await d.close();
    }
  });

  it('with TRUST_PROXY naming the proxy, its X-Forwarded-For is the client address', async () => {
    for (let i = 0; i < 6; i++) {
      await request(t.app).get('/v1/products').set('X-Forwarded-For', `10.1.0.${i + 1}`).set('Authorization', `Bearer ${randomKey()}`).expect(401);
    }
  });
});

describe('test and live keys are kept apart', () => {
  it('a live key is refused by a test-mode deployment, and a test key by a live one', async () => {
    const live = createApp({ config: { ...testConfig({ DATABASE_URL: t.database.url, ...LIVE_ENV }), ADMIN_TOKEN: t.admin }, db: t.db, redis: t.redis, log: createLogger('silent') });
    const created = await request(live).post('/v1/merchants').set(admin()).send({ name: 'Live Co' }).expect(201);
    expect(created.body.api_key).toMatch(/^hck_live_/);
    await request(live).get('/v1/products').set('Authorization', `Bearer ${created.body.api_key}`).expect(200);

    const refused = await request(t.app).get('/v1/products').set('X-Forwarded-For', '198.51.100.30').set('Authorization', `Bearer ${created.body.api_key}`).expect(401);
    expect(refused.body.code).toBe('api_key_wrong_mode');
    expect(refused.body.detail).toMatch(/test mode/);

    const testKey = (await t.createMerchant('Test Co')).apiKey;
    const back = await request(live).get('/v1/products').set('Authorization', `Bearer ${testKey}`).expect(401);
    expect(back.body.code).toBe('api_key_wrong_mode');
    expect(back.body.detail).toMatch(/live mode/);
  });
});

describe('openapi', () => {
  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
