import { compareIds } from '../../../src/ingest/ids';
import { FAST, startHarness, waitFor, type IngestHarness } from './helpers';

jest.setTimeout(40_000);

let h: IngestHarness;

beforeAll(async () => {
  h = await startHarness({ X_INGEST_MODE: 'poll' });
  await h.addProduct('BuyKettle');
  await h.start({ ...FAST, pollIntervalMinMs: 1500 }, 'order-a');
});
afterAll(async () => {
  await h?.close();
});

it('hands on what recent search found oldest first, so an original is matched before its edit', async () => {
  // X answers a search newest first; these all land in one poll.
  const original = h.post('BuyKettle', 'first');
  const others = [h.post('BuyKettle', 'second'), h.post('BuyKettle', 'third')];
  const edit = h.emu.injectTweet({ author_id: h.buyer.id, text: '@shop #BuyKettle x2', edit_of_tweet_id: original.id });
  const ids = [original.id, ...others.map((p) => p.id), edit.id];
  await waitFor(async () => (await Promise.all(ids.map((id) => h.job(id)))).every(Boolean), 10_000, 'all posts enqueued');
  const waiting = await h.tweets.getJobs(['waiting'], 0, -1, true);
  const order = waiting.flatMap((j) => (j.data as { posts: Array<{ id: string }> }).posts.map((p) => p.id));
  expect(order).toEqual([...ids].sort(compareIds));
});
