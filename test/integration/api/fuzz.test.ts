import { startTestApp, type TestApp } from '../../support/app';
import { FUZZ_ENV, prepareTarget, servedInProcess } from '../../support/fuzz/fixture';
import { runFuzz, type FuzzTarget } from '../../support/fuzz/run';
import { conformanceProblems, type RecordedResponse } from '../../support/openapi-recorder';
import { loadSpec } from '../../support/fuzz/spec';
import { startXEmulator, type XEmulator } from '../../../emulators/x';
import { createXPorts } from '../../../src/x/x.adapter';

// A bounded run of the generated fuzz (npm run fuzz runs it at any size): a fixed seed, so a
// failure here replays exactly with the same seed and request count.
const SEED = 20261201;
const REQUESTS = 800;

let t: TestApp;
let x: XEmulator;
let target: FuzzTarget;
beforeAll(async () => {
  // Blocking by handle asks X's user look-up: the X emulator answers it (the spec's example handle exists).
  x = await startXEmulator({ bearerTokens: ['fuzz-app-bearer'] });
  x.createUser({ username: 'reseller99' });
  const xUsers = createXPorts({
    bearerToken: 'fuzz-app-bearer', userTokens: { appKey: 'k', appSecret: 's', accessToken: 'a', accessSecret: 'b' }, shopUsername: 'shop', apiBase: x.url,
  });
  t = await startTestApp(FUZZ_ENV, { xUsers });
  target = await prepareTarget(t.app, t.admin);
});
afterAll(async () => {
  await t.close();
  await x.close();
});

describe('fuzz generated from openapi.yaml', () => {
  let summary: Awaited<ReturnType<typeof runFuzz>>;
  beforeAll(async () => {
    summary = await runFuzz(target, { requests: REQUESTS, seed: SEED, only: servedInProcess });
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
    // Methods the spec does not list for a path are only held to the rules above.
    const { operations } = loadSpec();
    const mounted = operations.filter(servedInProcess);
    const documented = (r: RecordedResponse) =>
      mounted.some((op) => op.method === r.method && new RegExp(`^${op.template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(r.path));
    expect(conformanceProblems(t.recorded, documented)).toEqual([]);
  });
});
