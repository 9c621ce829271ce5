import { Worker } from 'bullmq';
import { startMoneyKit, type MoneyKit } from './kit';
import { replyBatchInputs, replyBatches } from '../../src/queue/followups';
import { addJobs, repliesBatchJob } from '../../src/queue/registry';
import { createRedis } from '../../src/redis';
import { REPLY_PRIORITY, type ReplyKind } from '../../src/replies/templates';
import { repliesProcessor } from '../../workers/replies';

// Replies are spent in priority order, also when X's window reopens: every reply job held by
// X's "wait" comes back after the reset, and the ones a buyer must act on go out first, then
// receipts, then sold-out notices. Run by a real BullMQ worker, so delayed jobs come back the
// way BullMQ brings them back.
let kit: MoneyKit;

beforeAll(async () => {
  kit = await startMoneyKit();
}, 60_000);
afterAll(async () => {
  kit.x.configure({ rate_limits: { tweets_post: null } });
  await kit.close();
});

const WINDOW_MS = 3000;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('after X says wait, the reset posts signup links first, then receipts, then sold-out notices', async () => {
  // Three buyers without a card (signup links), three sales of one unit each (a receipt and a sold-out notice each).
  const open = await kit.product('BuyPrioMug', { inventory: 10 });
  expect(open).toMatch(/^prod_/);
  for (const name of ['prio_new_a', 'prio_new_b', 'prio_new_c']) await kit.post(kit.x.createUser({ username: name }), '@shop #BuyPrioMug');
  for (const tag of ['BuyPrioOne', 'BuyPrioTwo', 'BuyPrioThree']) {
    await kit.product(tag, { inventory: 1, waitlist: false });
    await kit.post(await kit.buyer(`${tag.slice(3, 11).toLowerCase()}_w`), `@shop #${tag}`);
    await kit.post(await kit.buyer(`${tag.slice(3, 11).toLowerCase()}_l`), `@shop #${tag}`);
  }
  await kit.runQueue('tweets');
  await kit.runQueue('charges');
  const { rows: replies } = await kit.rt.db.query<{ id: string; kind: ReplyKind; in_reply_to_tweet_id: string }>(
    `SELECT id, kind, in_reply_to_tweet_id FROM replies WHERE status = 'pending'`);
  expect(replies.map((r) => r.kind).sort()).toEqual(['receipt', 'receipt', 'receipt', 'signup', 'signup', 'signup', 'sold_out', 'sold_out', 'sold_out']);

  // One job per reply (many jobs per priority), queued while the worker is not running.
  for (const job of await kit.rt.queues.replies.getJobs(['waiting', 'prioritized'])) await job.remove();
  await addJobs(kit.rt.queues.replies, repliesBatchJob, replyBatchInputs(replies.map((r) => ({ replyId: r.id, replyKind: r.kind })), 1));

  // X allows two posts per window, and this window is spent already: the first reply meets a 429.
  kit.x.configure({ rate_limits: { tweets_post: { limit: 2, windowMs: WINDOW_MS } }, reset_rate_limits: true });
  await kit.rt.xReplies.postNotice('Warm-up one');
  await kit.rt.xReplies.postNotice('Warm-up two');

  const prefix = kit.rt.config.QUEUE_PREFIX;
  const connection = createRedis(kit.rt.config.REDIS_URL);
  const processor = repliesProcessor({ db: kit.rt.db, redis: kit.rt.redis, x: kit.rt.xReplies, prefix, log: kit.rt.log, publicBaseUrl: kit.rt.config.PUBLIC_BASE_URL });
  const worker = new Worker('replies', processor, { connection, prefix, concurrency: 1 });
  try {
    await waitFor(async () => (await kit.rt.db.query(`SELECT 1 FROM replies WHERE status = 'pending'`)).rowCount === 0, 60_000);
  } finally {
    await worker.close();
    connection.disconnect();
  }

  // What the shop posted, in the order X took it: action needed, receipts, notices.
  const kindOf = new Map(replies.map((r) => [r.in_reply_to_tweet_id, r.kind]));
  const posted = kit.x.tweets({ author_id: kit.shop.id })
    .filter((t) => kindOf.has(repliedTo(t)))
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
    .map((t) => kindOf.get(repliedTo(t))!);
  expect(posted).toHaveLength(9);
  expect(posted.map((k) => REPLY_PRIORITY[k])).toEqual([...posted.map((k) => REPLY_PRIORITY[k])].sort((a, b) => a - b));
  expect(posted).toEqual(['signup', 'signup', 'signup', 'receipt', 'receipt', 'receipt', 'sold_out', 'sold_out', 'sold_out']);
}, 90_000);

function repliedTo(post: Record<string, unknown>): string {
  const refs = (post.referenced_tweets ?? []) as Array<{ type: string; id: string }>;
  return refs.find((r) => r.type === 'replied_to')?.id ?? '';
}

it('receipts leave the last posts of a window to replies a buyer must act on; nobody meets a 429', async () => {
  kit.x.configure({ rate_limits: { tweets_post: { limit: 20, windowMs: 15 * 60_000 } }, reset_rate_limits: true });
  const prefix = kit.rt.config.QUEUE_PREFIX;
  await kit.rt.redis.del(`${prefix}:x:replies:budget`, `${prefix}:x:replies:until`);
  await kit.product('BuyKeepMug', { inventory: 10 });
  const paidPosts: string[] = [];
  for (const name of ['keep_a', 'keep_b', 'keep_c', 'keep_d']) paidPosts.push(await kit.post(await kit.buyer(name), '@shop #BuyKeepMug'));
  const newcomerPost = await kit.post(kit.x.createUser({ username: 'keep_new' }), '@shop #BuyKeepMug');
  await kit.runQueue('tweets');
  await kit.runQueue('charges');
  for (const job of await kit.rt.queues.replies.getJobs(['waiting', 'prioritized'])) await job.remove();
  const { rows } = await kit.rt.db.query<{ id: string; kind: ReplyKind; in_reply_to_tweet_id: string }>(
    `SELECT id, kind, in_reply_to_tweet_id FROM replies WHERE status = 'pending' AND in_reply_to_tweet_id = ANY($1)`, [[...paidPosts, newcomerPost]]);
  const idOf = (post: string) => rows.find((r) => r.in_reply_to_tweet_id === post)!;
  const jobOf = (posts: string[]) => {
    const [spec] = replyBatches(posts.map((p) => ({ replyId: idOf(p).id, replyKind: idOf(p).kind })), 50);
    return { id: spec!.opts.jobId, name: spec!.name, data: spec!.data, priority: spec!.opts.priority };
  };

  // Sixteen posts of the twenty are spent elsewhere; the first receipt tells the workers what is left (3).
  for (let i = 0; i < 16; i++) await kit.rt.xReplies.postNotice(`Spent elsewhere ${i}`);
  expect((await kit.runJob('replies', jobOf([paidPosts[0]!]))).result).toMatchObject({ posted: 1 });
  // The other receipts may take all but the last post of the window (20 / 20 = 1 kept): two go out, one waits.
  const receipts = await kit.runJob('replies', jobOf(paidPosts.slice(1)));
  expect(receipts.delayedUntil).toBeGreaterThan(Date.now() + 10 * 60_000);
  expect(paidPosts.filter((p) => kit.repliesOn(p).length === 1)).toHaveLength(3);
  // The signup link takes the post kept for it.
  expect((await kit.runJob('replies', jobOf([newcomerPost]))).result).toMatchObject({ posted: 1 });
  expect(kit.repliesOn(newcomerPost)).toEqual([expect.objectContaining({ text: expect.stringMatching(/^Almost there!/) })]);
  // Four calls to X, four posts: no call was refused with a 429.
  expect(kit.replyCalls.filter((id) => [...paidPosts, newcomerPost].includes(id))).toHaveLength(4);
  kit.x.configure({ rate_limits: { tweets_post: null } });
}, 60_000);
