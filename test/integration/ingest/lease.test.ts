import type { Ingest } from '../../../src/ingest';
import { FAST, startHarness, waitFor, delay, type IngestHarness } from './helpers';

jest.setTimeout(40_000);

let h: IngestHarness;
const leaseKey = () => `${h.config.QUEUE_PREFIX}:ingest:lease`;

beforeAll(async () => {
  h = await startHarness();
  await h.addProduct('BuyKettle');
});

afterAll(async () => {
  await h?.close();
});

async function allEnqueued(ids: string[], ms: number): Promise<string[]> {
  return waitFor(async () => {
    const all = await h.jobIds();
    return ids.every((id) => all.includes(`${id}`)) ? all : null;
  }, ms, `${ids.length} posts enqueued`);
}

it('one active instance at a time; a standby takes over from a dead one and backfills the gap', async () => {
  const a = await h.start(FAST, 'lease-a');
  const b = await h.start(FAST, 'lease-b');
  expect(a.isActive()).toBe(true);
  expect(b.isActive()).toBe(false);
  expect(await h.redis.get(leaseKey())).toMatch(/^lease-a:/);
  await waitFor(() => a.status().connected, 5000, 'a connected');
  // B keeps standing by well past a TTL while A renews.
  await delay(FAST.leaseTtlMs! + 500);
  expect(b.isActive()).toBe(false);
  expect(h.emu.streamStatus().connections_total).toBe(1);

  const before = h.post('BuyKettle', 'before');
  await allEnqueued([before.id], 5000);

  await a.crash(); // no release: the lease must expire
  const diedAt = Date.now();
  expect(await h.redis.get(leaseKey())).toMatch(/^lease-a:/);
  const gap: string[] = [];
  const producer = (async () => {
    while (!b.isActive()) {
      gap.push(h.post('BuyKettle', `gap ${gap.length}`).id);
      await delay(100);
    }
  })();
  await waitFor(() => b.isActive(), FAST.leaseTtlMs! + FAST.standbyPollMs! + 2000, 'b takes over');
  const tookOverAfter = Date.now() - diedAt;
  await producer;
  expect(tookOverAfter).toBeLessThanOrEqual(FAST.leaseTtlMs! + FAST.standbyPollMs! + 500);
  expect(gap.length).toBeGreaterThan(5);
  const after = h.post('BuyKettle', 'after');
  const ids = await allEnqueued([...gap, after.id], 8000);
  for (const id of [before.id, ...gap, after.id]) expect(ids.filter((j) => j === `${id}`)).toHaveLength(1);
  expect(b.status().backfilled).toBeGreaterThanOrEqual(gap.length);
  expect(a.isActive()).toBe(false);
});

it('stop() releases the lease so a standby takes over at once', async () => {
  const active = h.instances.find((i) => i.isActive())!;
  const standby = await h.start(FAST, 'lease-c');
  expect(standby.isActive()).toBe(false);
  const t0 = Date.now();
  await active.stop();
  expect(active.isActive()).toBe(false);
  await waitFor(() => standby.isActive(), 3000, 'c takes over');
  expect(Date.now() - t0).toBeLessThan(FAST.standbyPollMs! + 500);
  await waitFor(() => standby.status().connected, 5000, 'c connected');
  const p = h.post('BuyKettle', 'via c');
  await allEnqueued([p.id], 5000);
});

it('an instance whose lease was taken stops streaming at once', async () => {
  const active = h.instances.find((i) => i.isActive()) as Ingest;
  // Simulate a lease stolen after a long pause (e.g. the process was frozen past its TTL).
  await h.redis.set(leaseKey(), 'someone-else:x', 'PX', 60_000);
  await waitFor(() => !active.isActive(), FAST.leaseRenewMs! + 1000, 'active notices the loss');
  expect(active.status().connected).toBe(false);
  await waitFor(() => !h.emu.streamStatus().connected, 2000, 'stream closed');
  await h.redis.del(leaseKey());
  await waitFor(() => h.instances.some((i) => i.isActive()), 3000, 'someone active again');
});

it('with the production lease timings a standby takes over within 15 s of the active one dying', async () => {
  for (const i of h.instances) await i.stop();
  const { leaseTtlMs: _ttl, leaseRenewMs: _renew, standbyPollMs: _poll, ...prod } = FAST; // production lease defaults
  const a = await h.start(prod, 'prod-a');
  const b = await h.start(prod, 'prod-b');
  expect([a.isActive(), b.isActive()]).toEqual([true, false]);
  await a.crash();
  const t0 = Date.now();
  await waitFor(() => b.isActive(), 15_000, 'takeover within 15 s', 100);
  const ms = Date.now() - t0;
  expect(ms).toBeLessThanOrEqual(15_000);
  expect(ms).toBeGreaterThan(5_000); // the lease really had to expire (10 s TTL, renewed every 3 s)
});
