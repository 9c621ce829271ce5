import type { Ingest } from '../../../src/ingest';
import { FAST, logLines, startHarness, waitFor, type IngestHarness } from './helpers';

jest.setTimeout(30_000);

let h: IngestHarness;
let ingest: Ingest;

const reconnectDelays = () => logLines(h.logs, /stream reconnect in/).map((l) => Number(l.delayMs));

beforeAll(async () => {
  h = await startHarness();
  await h.addProduct('BuyTeaPot');
  ingest = await h.start({ ...FAST, keepAliveTimeoutMs: 1000, stableAfterMs: 60_000 }, 'reconnect-a');
  await waitFor(() => ingest.status().connected, 5000, 'stream connected');
});

afterAll(async () => {
  await h?.close();
});

it('backs off on 429 from 60 s doubling (shortened here to 1 s, 2 s) before connecting again', async () => {
  h.logs.length = 0;
  const connectsBefore = h.emu.streamStatus().connections_total;
  h.emu.injectFault({ path: '/2/tweets/search/stream', method: 'GET', status: 429, count: 2 });
  const t0 = Date.now();
  h.emu.disconnectStream('operational');
  await waitFor(() => h.emu.streamStatus().connections_total > connectsBefore, 10_000, 'reconnected after 429s');
  const elapsed = Date.now() - t0;
  // network step (100 ms) after the drop, then 429 → 1000 ms, 429 → 2000 ms
  expect(reconnectDelays()).toEqual([100, 1000, 2000]);
  expect(elapsed).toBeGreaterThanOrEqual(3000);
  expect(elapsed).toBeLessThan(5000);
  expect(logLines(h.logs, /stream connect failed: HTTP 429/)).toHaveLength(2);
});

it('backs off exponentially on HTTP errors', async () => {
  h.logs.length = 0;
  h.emu.injectFault({ path: '/2/tweets/search/stream', method: 'GET', status: 503, count: 3 });
  const connectsBefore = h.emu.streamStatus().connections_total;
  h.emu.disconnectStream('abrupt');
  await waitFor(() => h.emu.streamStatus().connections_total > connectsBefore, 10_000, 'reconnected after 503s');
  // back-off counters carry over while connections stay short-lived (stableAfterMs)
  expect(reconnectDelays()).toEqual([200, 300, 600, 1200]);
});

it('treats silence longer than the keep-alive timeout as a disconnect and reconnects', async () => {
  h.logs.length = 0;
  const disconnects = ingest.status().disconnects;
  h.emu.configure({ keep_alive_ms: 60_000 });
  // X goes quiet: no keep-alive for longer than our 1 s timeout
  await waitFor(() => ingest.status().disconnects > disconnects, 4000, 'silence detected');
  expect(ingest.status().lastDisconnectReason).toMatch(/no data or keep-alive for 1000 ms/);
  h.emu.configure({ keep_alive_ms: 300 });
  await waitFor(() => ingest.status().connected, 5000, 'reconnected');
  const post = h.post('BuyTeaPot');
  await waitFor(() => h.job(post.id), 5000, 'post after silence');
});

it('keeps posts flowing through transient failures', async () => {
  const post = h.post('BuyTeaPot', 'after all that');
  await waitFor(() => h.job(post.id), 5000, 'job');
  expect(ingest.isActive()).toBe(true);
});
