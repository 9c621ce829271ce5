import { paceDelay } from '../../../src/ingest/backoff';
import type { Ingest } from '../../../src/ingest';
import { FAST, logLines, startHarness, waitFor, delay, type IngestHarness } from './helpers';

jest.setTimeout(40_000);

let h: IngestHarness;
let ingest: Ingest;

beforeAll(async () => {
  h = await startHarness({ X_INGEST_MODE: 'poll' });
  // A tight search budget: 12 requests per 4 s window, so pacing by the headers is what keeps us under it.
  h.emu.configure({ rate_limits: { search_recent: { limit: 12, windowMs: 4000 } } });
  await h.addProduct('BuyLamp');
  // Posted before the service ever ran: not a purchase for it.
  h.post('BuyLamp', 'ancient');
  ingest = await h.start({ ...FAST, searchReserve: 2, pollIntervalMinMs: 100 }, 'poll-a');
});

afterAll(async () => {
  await h?.close();
});

it('polls recent search with since_id and enqueues new posts once', async () => {
  expect(ingest.isActive()).toBe(true);
  const p1 = h.post('BuyLamp', 'one');
  const p2 = h.post('BuyLamp', 'two');
  h.emu.injectTweet({ author_id: h.buyer.id, text: '#BuyLamp no mention' });
  await waitFor(async () => (await h.job(p1.id)) && (await h.job(p2.id)), 8000, 'polled jobs');
  await waitFor(async () => (await h.cursor()) === p2.id, 4000, 'cursor at the newest post');
  const p3 = h.post('BuyLamp', 'three');
  await waitFor(() => h.job(p3.id), 8000, 'third post');
  expect(await h.jobIds()).toEqual([`${p1.id}`, `${p2.id}`, `${p3.id}`].sort());
  expect((await h.job(p3.id))?.authorUsername).toBe('buyer_one');
});

it('picks up a product added later without any stream rules', async () => {
  await h.addProduct('BuyDesk');
  const p = h.post('BuyDesk');
  await waitFor(() => h.job(p.id), 8000, 'job for the new hashtag');
  expect(h.emu.rules()).toEqual([]);
  expect(h.emu.streamStatus().connections_total).toBe(0);
});

it('paces requests by the rate-limit headers and never hits a 429', async () => {
  await delay(6000);
  expect(logLines(h.logs, /poll failed/)).toEqual([]);
  expect(ingest.status().lastError).toBeNull();
  const p = h.post('BuyLamp', 'still polling');
  await waitFor(() => h.job(p.id), 8000, 'job while paced');
});

it('computes the delay from remaining budget and reset time', () => {
  const now = 1_000_000;
  expect(paceDelay(null, 2000, 30, now)).toBe(2000);
  expect(paceDelay({ remaining: 450, resetAt: now + 900_000 }, 1000, 30, now)).toBe(Math.ceil(900_000 / 420));
  expect(paceDelay({ remaining: 30, resetAt: now + 60_000 }, 1000, 30, now)).toBe(60_250);
  expect(paceDelay({ remaining: 400, resetAt: now + 1000 }, 1000, 30, now)).toBe(1000);
});
