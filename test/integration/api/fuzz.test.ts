import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { readmeErrorCodes } from '../../support/error-codes';
import { runFuzz, type FuzzTarget } from '../../support/fuzz/run';
import { conformanceProblems, type RecordedResponse } from '../../support/openapi-recorder';
import { loadSpec } from '../../support/fuzz/spec';

// A bounded run of the generated fuzz (npm run fuzz runs it at any size): a fixed seed, so a
// failure here replays exactly with the same seed and request count.
const SEED = 20261201;
const REQUESTS = 1_200;

let t: TestApp;
let target: FuzzTarget;
beforeAll(async () => {
  t = await startTestApp();
  const a = await t.createMerchant('Fuzz A');
  const b = await t.createMerchant('Fuzz B');
  const product = await request(t.app).post('/v1/products').set('Authorization', `Bearer ${a.apiKey}`)
    .send({ name: 'Blue Mug', hashtag: 'BuyFuzzMug', unit_amount: 1800, currency: 'usd', metadata: { color: 'blue' } }).expect(201);
  const keys = await request(t.app).get(`/v1/merchants/${a.id}/api_keys`).set('Authorization', `Bearer ${t.admin}`).expect(200);
  target = {
    app: t.app, adminToken: t.admin, merchantKey: a.apiKey, otherMerchantKey: b.apiKey,
    ids: { mer: [a.id, b.id], prod: [product.body.id], key: keys.body.data.map((k: { id: string }) => k.id) },
    documentedCodes: readmeErrorCodes(),
  };
});
afterAll(async () => {
  await t.close();
});

describe('fuzz generated from openapi.yaml', () => {
  let summary: Awaited<ReturnType<typeof runFuzz>>;
  beforeAll(async () => {
    summary = await runFuzz(target, { requests: REQUESTS, seed: SEED });
    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(summary.by_status));
  }, 120_000);

  it('never answers 5xx, and every 4xx is a problem with a documented code', () => {
    expect(summary.failures).toEqual([]);
  });

  it('reaches the code behind validation, not only the refusals', () => {
    const count = (prefix: string) => Object.entries(summary.by_status).filter(([s]) => s.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);
    expect(count('2')).toBeGreaterThan(REQUESTS / 10);
    expect(count('4')).toBeGreaterThan(REQUESTS / 3);
  });

  it('every response it drew conforms to openapi.yaml', () => {
    // Methods the spec does not list for a path are only held to the rules above; the sandbox and
    // Stripe webhook routes are not mounted in this in-process app (npm run fuzz -- --base-url is).
    const { operations } = loadSpec();
    const mounted = operations.filter((op) => op.template.startsWith('/v1/') && !op.template.startsWith('/v1/sandbox'));
    const documented = (r: RecordedResponse) =>
      mounted.some((op) => op.method === r.method && new RegExp(`^${op.template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(r.path));
    expect(conformanceProblems(t.recorded, documented)).toEqual([]);
  });
});
