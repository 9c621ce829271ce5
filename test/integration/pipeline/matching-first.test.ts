import { Queue, Worker } from 'bullmq';
import { createLogger } from '../../../src/logger';
import { startMatchingFirst } from '../../../src/queue/matching-first';
import { REDIS_URL, testPrefix } from '../../support/app';

const connection = { url: REDIS_URL };
const prefix = testPrefix();
const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('matching first: replies and the merchant-event fan-out wait while posts wait to be matched', () => {
  const tweets = new Queue('tweets', { connection, prefix });
  const replies = new Queue('replies', { connection, prefix });
  const posted: string[] = [];
  const worker = new Worker('replies', async (job) => void posted.push(job.id!), { connection, prefix, concurrency: 4 });
  // Stands for the merchant-event fan-out, which waits with them.
  const fanOut = { paused: false, pause: () => void (fanOut.paused = true), resume: () => void (fanOut.paused = false) };
  const guard = startMatchingFirst({ tweets, workers: [worker], alsoPause: [fanOut], backlog: 3, intervalMs: 20, log: createLogger('silent') });

  afterAll(async () => {
    guard.stop();
    await worker.close();
    await tweets.obliterate({ force: true });
    await replies.obliterate({ force: true });
    await Promise.all([tweets.close(), replies.close()]);
  });

  it('holds replies during a backlog above the mark and sends them once it is at half', async () => {
    await replies.add('reply', {}, { jobId: 'reply-before' });
    await until('the reply before the backlog', () => posted.includes('reply-before'));

    // No tweets worker runs here: five posts wait, above the mark of 3.
    await tweets.addBulk([1, 2, 3, 4, 5].map((i) => ({ name: 'post', data: {}, opts: { jobId: `tweet-${i}` } })));
    await until('the replies worker to pause', () => worker.isPaused());
    expect(fanOut.paused).toBe(true);
    await replies.addBulk([1, 2, 3].map((i) => ({ name: 'reply', data: {}, opts: { jobId: `reply-during-${i}` } })));
    await new Promise((r) => setTimeout(r, 300));
    // The idle worker's fetch, already blocked in Redis when the pause came, takes at most one.
    const slipped = posted.filter((id) => id.startsWith('reply-during')).length;
    expect(slipped).toBeLessThanOrEqual(1);
    expect(await replies.getWaitingCount()).toBe(3 - slipped);

    // Four left is still above half the mark (1.5): still held.
    await tweets.remove('tweet-1');
    await new Promise((r) => setTimeout(r, 200));
    expect(worker.isPaused()).toBe(true);
    expect(await replies.getWaitingCount()).toBe(3 - slipped);

    await tweets.drain();
    await until('the held replies to go out', () => posted.length === 4);
    expect(worker.isPaused()).toBe(false);
    expect(fanOut.paused).toBe(false);
    expect([...posted].sort()).toEqual(['reply-before', 'reply-during-1', 'reply-during-2', 'reply-during-3']);
  });
});
