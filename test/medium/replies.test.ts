import type { Job } from 'bullmq';
import { startMoneyKit, type MoneyKit } from './kit';

// What the shop account posts: each reply exactly once, whatever runs its job twice, and never a
// storm against X's rate limit: once X says wait, every reply waits for the reset.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(() => kit.close());

/** Buyers post and are charged; their receipts wait in the replies queue, not yet run. */
async function paidAwaitingReceipts(hashtag: string, usernames: string[]): Promise<{ postIds: string[]; jobs: Job[] }> {
  await kit.product(hashtag, { inventory: 50 });
  const postIds: string[] = [];
  for (const name of usernames) postIds.push(await kit.post(await kit.buyer(name), `@shop #${hashtag}`));
  await kit.runQueue('tweets');
  await kit.runQueue('charges');
  for (const id of postIds) expect(await kit.ordersOfPost(id)).toMatchObject([{ status: 'paid' }]);
  const { rows } = await kit.rt.db.query<{ id: string }>(`SELECT r.id FROM replies r JOIN orders o ON o.id = r.order_id WHERE o.tweet_id = ANY($1) AND r.kind = 'receipt'`, [postIds]);
  const receipts = new Set(rows.map((r) => r.id));
  const jobs = (await kit.rt.queues.replies.getJobs(['waiting', 'prioritized'])).filter((j) => receipts.has(j.data.replyId));
  expect(jobs).toHaveLength(usernames.length);
  return { postIds, jobs };
}
const gateKey = () => `${kit.rt.config.QUEUE_PREFIX}:x:replies:until`;
const callsFor = (postIds: string[]) => kit.replyCalls.filter((id) => postIds.includes(id)).length;
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + 50));

describe('the reply gate', () => {
  it('a receipt is posted once although its job runs twice at once and again later', async () => {
    const { postIds: [postId], jobs: [job] } = await paidAwaitingReceipts('BuyGateCup', ['gate_buyer']);
    const runs = await Promise.all([kit.runJob('replies', job!), kit.runJob('replies', job!)]);
    // One run posted. The other found the reply claimed: it waits (delayed), or, if the first had
    // finished by then, reports the same post; it never posts one of its own.
    const posted = new Set(runs.map((r) => (r.result as { xReplyId?: string } | undefined)?.xReplyId).filter(Boolean));
    expect(posted.size).toBe(1);
    expect(runs.every((r) => r.delayedUntil !== undefined || (r.result as { status: string }).status === 'posted')).toBe(true);
    // That run comes back later: the reply is posted, so nothing is sent again.
    expect((await kit.runJob('replies', job!)).result).toMatchObject({ status: 'posted' });

    const onX = kit.repliesOn(postId!);
    expect(onX).toHaveLength(1);
    expect(onX[0]!.text).toMatch(/^Paid: Mug \(\$18\.00\)\. Order ord_/);
    expect(onX[0]!.id).toBe([...posted][0]);
    expect(callsFor([postId!])).toBe(1);
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
    await kit.rt.redis.del(gateKey());
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the gate's per-process cache
    for (const job of jobs) expect((await kit.runJob('replies', job)).result).toMatchObject({ status: 'posted' });
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
      expect((await kit.runJob('replies', waiting)).result).toMatchObject({ status: 'posted' });
      for (const id of postIds) expect(kit.repliesOn(id)).toHaveLength(1);
      expect(kit.repliesOn(waitingPost)).toHaveLength(1);
      expect(callsFor(postIds)).toBe(3);
    } finally {
      kit.x.configure({ rate_limits: { tweets_post: null } });
    }
  });
});
