import type { Job } from 'bullmq';
import { startMoneyKit, type MoneyKit } from './kit';
import { replyBatches } from '../../src/queue/followups';
import { recordReplyGaveUp } from '../../workers/replies';

// What the shop account posts: each reply exactly once, whatever runs its job twice, and never a
// storm against X's rate limit: once X says wait, every reply waits for the reset.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

/** Buyers post and are charged; their receipts wait in the replies queue, not yet run (one job each: one charge job each). */
async function paidAwaitingReceipts(hashtag: string, usernames: string[]): Promise<{ postIds: string[]; replyIds: string[]; jobs: Job[] }> {
  await kit.product(hashtag, { inventory: 50 });
  const postIds: string[] = [];
  for (const name of usernames) postIds.push(await kit.post(await kit.buyer(name), `@shop #${hashtag}`));
  await kit.runQueue('tweets');
  await kit.runQueue('charges');
  for (const id of postIds) expect(await kit.ordersOfPost(id)).toMatchObject([{ status: 'paid' }]);
  const { rows } = await kit.rt.db.query<{ id: string }>(
    `SELECT r.id FROM replies r JOIN orders o ON o.id = r.order_id WHERE o.tweet_id = ANY($1) AND r.kind = 'receipt' ORDER BY array_position($1, o.tweet_id)`, [postIds]);
  const replyIds = rows.map((r) => r.id);
  const jobs = (await kit.rt.queues.replies.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.replyIds?.some((id: string) => replyIds.includes(id)));
  expect(jobs.flatMap((j) => j.data.replyIds).sort()).toEqual([...replyIds].sort());
  return { postIds, replyIds, jobs };
}

/** The receipts as one `batch` job, as a charges batch hands them on; the jobs they came in are dropped. */
async function oneBatch(hashtag: string, usernames: string[]): Promise<{ postIds: string[]; replyIds: string[]; job: Pick<Job, 'id' | 'name' | 'data'> }> {
  const { postIds, replyIds, jobs } = await paidAwaitingReceipts(hashtag, usernames);
  for (const job of jobs) await job.remove();
  const [batch, ...rest] = replyBatches(replyIds.map((replyId) => ({ replyId, replyKind: 'receipt' as const })), 50);
  expect(rest).toEqual([]);
  return { postIds, replyIds, job: { id: batch!.opts.jobId, name: batch!.name, data: batch!.data } };
}
const replyRows = async (ids: string[]) =>
  // Sorted here, not by PostgreSQL: its collation and JavaScript's need not agree on mixed-case ids.
  (await kit.rt.db.query<{ id: string; status: string; error: string | null }>('SELECT id, status, error FROM replies WHERE id = ANY($1)', [ids])).rows
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const gateKey = () => `${kit.rt.config.QUEUE_PREFIX}:x:replies:until`;
/** What the workers know of X's current window: its gate and the posts it has left. */
const windowKeys = () => [gateKey(), `${kit.rt.config.QUEUE_PREFIX}:x:replies:budget`];
const callsFor = (postIds: string[]) => kit.replyCalls.filter((id) => postIds.includes(id)).length;
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + 50));

describe('the reply gate', () => {
  it('a receipt is posted once although its job runs twice at once and again later', async () => {
    const { postIds: [postId], jobs: [job] } = await paidAwaitingReceipts('BuyGateCup', ['gate_buyer']);
    const runs = await Promise.all([kit.runJob('replies', job!), kit.runJob('replies', job!)]);
    // One run posted. The other found the reply claimed: it waits (delayed), or, if the first had
    // finished by then, finds it posted; it never posts one of its own.
    expect(runs.filter((r) => (r.result as { posted?: number } | undefined)?.posted === 1)).toHaveLength(1);
    expect(runs.every((r) => r.delayedUntil !== undefined || (r.result as { posted: number; alreadyFinished: number }).posted + (r.result as { alreadyFinished: number }).alreadyFinished === 1)).toBe(true);
    // That run comes back later: the reply is posted, so nothing is sent again.
    expect((await kit.runJob('replies', job!)).result).toEqual({ posted: 0, refused: 0, alreadyFinished: 1 });

    const onX = kit.repliesOn(postId!);
    expect(onX).toHaveLength(1);
    expect(onX[0]!.text).toMatch(/^Paid: Mug \(\$18\.00\)\. Order ord_/);
    expect(callsFor([postId!])).toBe(1);
    expect(await kit.ordersOfPost(postId!)).toMatchObject([{ reply_status: 'posted' }]);
    await kit.rt.queues.replies.remove(job!.id!);
  });
});

describe('X rate limits on replies', () => {
  it('X answering 429: the reply is kept, every reply waits for the reset X gave, none is sent in between', async () => {
    const { postIds, jobs } = await paidAwaitingReceipts('BuyBusyCup', ['busy_a', 'busy_b', 'busy_c']);
    kit.x.injectFault({ status: 429, path: '/2/tweets', method: 'POST', count: 1 });
    const askedAt = Date.now();

    const held = await kit.runQueue('replies');
    // The first reply met the 429; the others were held by the gate without calling X.
    expect(callsFor(postIds)).toBe(1);
    expect(held).toHaveLength(3);
    // X's reset is 15 minutes out (the emulator's 429): nobody is let through before then.
    for (const h of held) expect(h.until).toBeGreaterThanOrEqual(askedAt + 14 * 60_000);
    for (const id of postIds) expect(kit.repliesOn(id)).toEqual([]);
    // Running the delayed jobs early (another worker, a retry) still calls X no more.
    for (const job of jobs) expect((await kit.runJob('replies', job)).delayedUntil).toBeGreaterThanOrEqual(askedAt + 14 * 60_000);
    expect(callsFor(postIds)).toBe(1);

    // The window resets (its gate is gone with it): each receipt goes out, once.
    await kit.rt.redis.del(...windowKeys());
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the gate's per-process cache
    for (const job of jobs) expect((await kit.runJob('replies', job)).result).toMatchObject({ posted: 1 });
    for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
    expect(callsFor(postIds)).toBe(4); // the one refused, then one per reply
  });

  it('a spent window (remaining 0) holds the next replies until X resets it, then they go out', async () => {
    kit.x.configure({ rate_limits: { tweets_post: { limit: 2, windowMs: 2000 } }, reset_rate_limits: true });
    try {
      const { postIds, jobs } = await paidAwaitingReceipts('BuyPacedCup', ['paced_a', 'paced_b', 'paced_c']);
      const held = await kit.runQueue('replies');
      // Two replies spent the window; X said so in its headers, so the third did not try (no 429).
      expect(callsFor(postIds)).toBe(2);
      expect(held).toHaveLength(1);
      const waiting = jobs.find((j) => j.id === held[0]!.id)!;
      const waitingPost = postIds.find((id) => kit.repliesOn(id).length === 0)!;
      // Too early: still held, X not called.
      expect((await kit.runJob('replies', waiting)).delayedUntil).toBeGreaterThan(Date.now());
      expect(callsFor(postIds)).toBe(2);

      await sleepUntil(held[0]!.until);
      expect((await kit.runJob('replies', waiting)).result).toMatchObject({ posted: 1 });
      for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
      expect(kit.repliesOn(waitingPost)).toHaveLength(1);
      expect(callsFor(postIds)).toBe(3);
    } finally {
      kit.x.configure({ rate_limits: { tweets_post: null } });
      await kit.rt.redis.del(...windowKeys()); // what the workers learned of that tiny window
    }
  });
});

describe('replies in batches', () => {
  it('a batch posts every reply once, and running it again posts nothing', async () => {
    const { postIds, replyIds, job } = await oneBatch('BuyBatchCup', ['batch_a', 'batch_b', 'batch_c', 'batch_d', 'batch_e', 'batch_f']);
    const statements = jest.spyOn(kit.rt.db, 'query');
    try {
      expect((await kit.runJob('replies', job)).result).toEqual({ posted: 6, refused: 0, alreadyFinished: 0 });
      // PostgreSQL is asked twice for the whole batch: one claim, one record of every result.
      expect(statements).toHaveBeenCalledTimes(2);
    } finally {
      statements.mockRestore();
    }
    for (const id of postIds) expect(kit.repliesOn(id)).toEqual([expect.objectContaining({ text: expect.stringMatching(/^Paid: Mug/) })]);
    expect(callsFor(postIds)).toBe(6);
    expect((await replyRows(replyIds)).map((r) => r.status)).toEqual(Array(6).fill('posted'));
    for (const id of postIds) expect(await kit.ordersOfPost(id)).toMatchObject([{ reply_status: 'posted' }]);

    // Run again (a retry, a second worker, the sweep's copy): every reply is found posted.
    expect((await kit.runJob('replies', job)).result).toEqual({ posted: 0, refused: 0, alreadyFinished: 6 });
    expect(callsFor(postIds)).toBe(6);
    for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
  });

  it('two batches sharing replies, run at once, post each reply once', async () => {
    const { postIds, replyIds, job } = await oneBatch('BuyOverlapCup', ['overlap_a', 'overlap_b', 'overlap_c', 'overlap_d', 'overlap_e', 'overlap_f']);
    const first = { ...job, data: { replyIds: replyIds.slice(0, 4) } };
    const second = { ...job, id: `${job.id}-b`, data: { replyIds: replyIds.slice(2) } };
    // Each shared reply goes out from one of them; a batch that meets one held by the other waits.
    await Promise.all([kit.runJob('replies', first), kit.runJob('replies', second)]);
    for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
    expect(callsFor(postIds)).toBe(6);
    expect((await replyRows(replyIds)).map((r) => r.status)).toEqual(Array(6).fill('posted'));
  });

  it('X saying 429 mid-batch: what went out is recorded, nothing more is sent before the reset, then the rest once each', async () => {
    // X lets two replies through per window; the batch has four calls in flight, so the window is
    // spent mid-batch and X answers the calls after it with 429.
    kit.x.configure({ rate_limits: { tweets_post: { limit: 2, windowMs: 2000 } }, reset_rate_limits: true });
    try {
      const { postIds, replyIds, job } = await oneBatch('BuyBurstCup', ['burst_a', 'burst_b', 'burst_c', 'burst_d', 'burst_e', 'burst_f', 'burst_g']);
      const first = await kit.runJob('replies', job);
      expect(first.delayedUntil).toBeGreaterThan(Date.now());
      const callsBefore = callsFor(postIds);
      // Two went out; after X's answer that the window was spent no call started: at most the four
      // then in flight were answered 429, and the seventh receipt was never tried.
      expect(callsBefore).toBeLessThanOrEqual(6);
      const postedFirst = postIds.filter((id) => kit.repliesOn(id).length === 1);
      expect(postedFirst).toHaveLength(2);
      expect((await replyRows(replyIds)).filter((r) => r.status === 'posted')).toHaveLength(2);

      // Before the reset: held, X not called.
      expect((await kit.runJob('replies', job)).delayedUntil).toBeGreaterThan(Date.now());
      expect(callsFor(postIds)).toBe(callsBefore);

      // After it: two more per window, until every receipt is out, each once.
      for (let round = 0; round < 5 && postIds.some((id) => kit.repliesOn(id).length === 0); round++) {
        await sleepUntil(first.delayedUntil! + round * 2500);
        await kit.runJob('replies', job);
      }
      for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
      expect((await replyRows(replyIds)).map((r) => r.status)).toEqual(Array(7).fill('posted'));
    } finally {
      kit.x.configure({ rate_limits: { tweets_post: null } });
      await kit.rt.redis.del(...windowKeys()); // the last window's gate and budget, for the tests after this one
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }, 30_000);

  it('a reply X refuses is recorded with its reason, and the others of the batch go out', async () => {
    const { postIds, replyIds, job } = await oneBatch('BuyMixedCup', ['mixed_a', 'mixed_b', 'mixed_c']);
    // A post that does not mention the shop: X refuses an automated reply to it (403).
    const stranger = kit.x.injectTweet({ author_id: (await kit.buyer('mixed_stranger')).id, text: 'no mention here' });
    await kit.rt.db.query(`INSERT INTO replies (id, in_reply_to_tweet_id, kind, text) VALUES ('rep_mixed_refused', $1, 'how_to_buy', 'How to buy: ...')`, [stranger.id]);
    const batch = { ...job, data: { replyIds: [...replyIds, 'rep_mixed_refused'] } };

    expect((await kit.runJob('replies', batch)).result).toEqual({ posted: 3, refused: 1, alreadyFinished: 0 });
    for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
    expect(kit.repliesOn(stranger.id)).toEqual([]);
    const [refused] = await replyRows(['rep_mixed_refused']);
    expect(refused).toMatchObject({ status: 'refused', error: expect.stringMatching(/^403 /) });
    // Refused is final: running the batch again asks X nothing.
    const calls = kit.replyCalls.length;
    expect((await kit.runJob('replies', batch)).result).toEqual({ posted: 0, refused: 0, alreadyFinished: 4 });
    expect(kit.replyCalls.length).toBe(calls);
  });

  it('a single-reply job queued before batches is still posted', async () => {
    const { postIds: [postId], replyIds: [replyId], jobs } = await paidAwaitingReceipts('BuyLegacyCup', ['legacy_buyer']);
    for (const job of jobs) await job.remove();
    const legacy = await kit.rt.queues.replies.add('receipt', { replyId }, { jobId: `reply-legacy-receipt`, priority: 1 });
    expect((await kit.runJob('replies', legacy)).result).toEqual({ posted: 1, refused: 0, alreadyFinished: 0 });
    expect(kit.repliesOn(postId!)).toHaveLength(1);
    expect((await kit.runJob('replies', legacy)).result).toEqual({ posted: 0, refused: 0, alreadyFinished: 1 });
    expect(kit.repliesOn(postId!)).toHaveLength(1);
    await legacy.remove();
  });

  it('a batch that gave up leaves each reply it could not post failed with the reason, and the posted ones as they are', async () => {
    const { postIds, replyIds, job } = await oneBatch('BuyGiveUpCup', ['giveup_a', 'giveup_b']);
    // The first reply went out before; X then stayed down until the job ran out of attempts.
    await kit.runJob('replies', { ...job, data: { replyIds: [replyIds[0]!] } });
    const lastAttempt = { ...job, attemptsMade: 8, opts: { attempts: 8 } } as unknown as Job;
    await recordReplyGaveUp(kit.rt.db, lastAttempt, new Error('X did not answer within 10000 ms'));
    expect(await replyRows(replyIds)).toEqual([
      { id: replyIds[0], status: 'posted', error: null },
      { id: replyIds[1], status: 'failed', error: 'X did not answer within 10000 ms' },
    ].sort((a, b) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0)));
    expect(await kit.ordersOfPost(postIds[1]!)).toMatchObject([{ reply_status: 'failed' }]);
  });
});
