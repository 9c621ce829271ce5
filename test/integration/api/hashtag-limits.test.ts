import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createMetrics, type Metrics } from '../../../src/ops/metrics';
import { metricsRouter } from '../../../src/ops/metrics-http';
import { createLogger } from '../../../src/logger';
import { planRules } from '../../../src/ingest/rules';
import { liveHashtags } from '../../../src/products/products.repository';

// Small limits keep this fast: three live products per merchant, two stream rules in all (one is #cancel's).
const env = { MAX_HASHTAGS_PER_MERCHANT: '3', X_STREAM_MAX_RULES: '2', METRICS_TOKEN: 'hashtag-limits-metrics-token-0123456789' };
let t: TestApp;
let metrics: Metrics;
beforeAll(async () => {
  metrics = createMetrics(createLogger('silent'));
  t = await startTestApp(env, { mountBefore: [(app) => app.use(metricsRouter(metrics.registry, [env.METRICS_TOKEN]))] });
  metrics.watchRuleBudget(t.db, { maxPerMerchant: 3, maxRules: 2, mention: t.config.X_SHOP_USERNAME, cancelShop: t.config.X_SHOP_USERNAME });
});
afterAll(async () => {
  await t.close();
});

const auth = (k: string) => ({ Authorization: `Bearer ${k}` });
const create = (k: string, hashtag: string) => request(t.app).post('/v1/products').set(auth(k)).send({ name: 'Mug', hashtag, unit_amount: 1800, currency: 'usd' });
const archive = (k: string, id: string) => request(t.app).delete(`/v1/products/${id}`).set(auth(k)).expect(200);
const WORDS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf', 'Hotel', 'Juliet', 'Kilo', 'Mike', 'November', 'Oscar', 'Papa', 'Quebec', 'Romeo'];

async function budget(): Promise<Record<string, number>> {
  const text = (await request(t.app).get('/metrics').set(auth(env.METRICS_TOKEN)).expect(200)).text;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^hc_stream_rule_budget\{measure="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('hashtags per merchant', () => {
  it('caps a merchant\'s live products, even when the requests race; archiving makes room', async () => {
    const m = await t.createMerchant('Busy');
    const results = await Promise.all(WORDS.slice(0, 6).map((w) => create(m.apiKey, `Cap${w}`)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    const refused = results.find((r) => r.status === 409)!;
    expect(refused.body).toMatchObject({ code: 'hashtag_limit_reached', limit: 3 });
    expect(refused.body.detail).toMatch(/at most 3 live products/);

    const made = results.filter((r) => r.status === 201).map((r) => r.body.id as string);
    await archive(m.apiKey, made[0]!);
    await create(m.apiKey, 'CapSierra').expect(201);
    await create(m.apiKey, 'CapTango').expect(409);
    // Changing a product's hashtag is not a new product.
    await request(t.app).patch(`/v1/products/${made[1]}`).set(auth(m.apiKey)).send({ hashtag: 'CapUniform' }).expect(200);
    for (const id of made.slice(1)) await archive(m.apiKey, id);
    const rest = (await request(t.app).get('/v1/products').query({ status: 'active' }).set(auth(m.apiKey)).expect(200)).body.data;
    for (const p of rest) await archive(m.apiKey, p.id);
  });
});

describe('the stream rule budget', () => {
  it('refuses a product whose hashtag no stream rule could carry, and shows the budget in metrics', async () => {
    // 100-character hashtags: about nine fill one rule of 1,024 characters.
    const long = (w: string) => `Buy${w}${'x'.repeat(97 - w.length)}`;
    const accepted: Array<{ key: string; id: string }> = [];
    let refused: request.Response | undefined;
    for (const w of WORDS) {
      const merchant = await t.createMerchant(w);
      const res = await create(merchant.apiKey, long(w));
      if (res.status !== 201) {
        refused = res;
        break;
      }
      accepted.push({ key: merchant.apiKey, id: res.body.id });
    }
    expect(refused?.status).toBe(409);
    expect(refused?.body.code).toBe('stream_rules_full');
    expect(accepted.length).toBeGreaterThan(5);
    expect(await budget()).toMatchObject({ hashtags: accepted.length, rules_used: 2, rules_max: 2, chars_max: 2048 });
    expect((await budget()).chars_used).toBeLessThanOrEqual(2048);

    // What the api accepted, the ingest can follow (with the #cancel rule): nothing dropped.
    const plan = planRules([], await liveHashtags(t.db), t.config.X_SHOP_USERNAME, 0, 2, t.config.X_SHOP_USERNAME);
    expect(plan).toMatchObject({ total: 2, dropped: [], cancel: '(#cancel OR #confirm) @shop -is:retweet -is:quote' });

    // Archiving a product makes room for the one refused.
    const late = await t.createMerchant('Late');
    const refusedTag = WORDS[accepted.length]!;
    expect((await create(late.apiKey, long(refusedTag)).expect(409)).body.code).toBe('stream_rules_full');
    await archive(accepted[0]!.key, accepted[0]!.id);
    await create(late.apiKey, long(refusedTag)).expect(201);
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded, (r) => r.path.startsWith('/v1/'))).toEqual([]);
  });
});
