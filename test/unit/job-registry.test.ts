import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import pino from 'pino';
import { jobHandlers, startWorkers } from '../../workers';
import { checkHandlers, routeByName, type JobHandler, type JobProcessor } from '../../src/queue/job-router';
import {
  addJobs, chargeBatchJob, jobNames, jobOf, JobRegistryError, JOB_KINDS, postBatchJob, repliesBatchJob, repliesJobId, singleChargeJob, singlePostJob, stripeEventJob,
} from '../../src/queue/registry';
import type { QueueKey } from '../../src/queue/queues';
import type { Runtime } from '../../src/runtime';
import type { InboundPost } from '../../src/x/x.port';

const processor = (label: string): JobProcessor => async () => label;
const processors: Record<QueueKey, JobProcessor> = {
  tweets: processor('tweets'), charges: processor('charges'), replies: processor('replies'), stripeEvents: processor('stripe-events'),
};
const post = (id: string): InboundPost => ({
  id, text: '#BuyMug @shop', authorId: '42', authorUsername: 'buyer', createdAt: null, hashtags: ['BuyMug'], mentions: [], referenced: [], editHistoryIds: [id],
});
const job = (name: string) => ({ name, data: {} }) as Job;

describe('the worker role maps every job name of the registry to one processor', () => {
  it('passes the start-up check as wired', () => {
    expect(() => checkHandlers(jobHandlers(processors))).not.toThrow();
  });

  it('refuses a job name without a processor', () => {
    const handlers = jobHandlers(processors).filter((h) => !(h.queue === 'replies' && h.name === 'receipt'));
    expect(() => checkHandlers(handlers)).toThrow(JobRegistryError);
    expect(() => checkHandlers(handlers)).toThrow('no processor for job replies/receipt');
  });

  it('refuses two processors for one job name', () => {
    const handlers: JobHandler[] = [...jobHandlers(processors), { queue: 'tweets', name: 'batch', process: processor('again') }];
    expect(() => checkHandlers(handlers)).toThrow('2 processors for job tweets/batch');
  });

  it('refuses a processor for a name the registry does not know', () => {
    const handlers: JobHandler[] = [...jobHandlers(processors), { queue: 'charges', name: 'refund', process: processor('refund') }];
    expect(() => checkHandlers(handlers)).toThrow('a processor for job charges/refund, which the registry does not know');
  });

  it('lists every disagreement at once', () => {
    const handlers: JobHandler[] = [
      ...jobHandlers(processors).filter((h) => h.queue !== 'stripeEvents'),
      { queue: 'tweets', name: 'post', process: processor('again') },
    ];
    const message = (() => {
      try {
        checkHandlers(handlers);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const type of stripeEventJob.names) expect(message).toContain(`no processor for job stripe-events/${type}`);
    expect(message).toContain('2 processors for job tweets/post');
  });

  it('stops the worker role at start-up, before any worker runs, when the registry has a name no processor takes', async () => {
    const extra = { ...singlePostJob, kind: 'reprocess', names: ['reprocess'] };
    (JOB_KINDS as unknown as unknown[]).push(extra);
    try {
      const rt = {
        config: { X_SHOP_USERNAME: 'shop', QUEUE_PREFIX: 'never-used', STRIPE_OPS_PER_SECOND: 10, REDIS_URL: 'redis://127.0.0.1:1' },
        log: pino({ level: 'silent' }), x: { userIdOf: async () => '1' }, matching: () => ({}), queues: {},
      } as unknown as Runtime;
      await expect(startWorkers(rt)).rejects.toThrow('no processor for job tweets/reprocess');
    } finally {
      (JOB_KINDS as unknown as unknown[]).pop();
    }
  });
});

describe('a queue runs each job by its name', () => {
  const run = routeByName('charges', jobHandlers(processors));

  it('hands a known name to its processor', async () => {
    await expect(run(job('charges'))).resolves.toBe('charges');
    await expect(run(job('charge'))).resolves.toBe('charges');
  });

  it('fails a job whose name the registry does not know for good (no retries)', async () => {
    await expect(run(job('refund'))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(run(job('refund'))).rejects.toThrow('no processor for job "refund" on queue charges');
  });
});

describe('the job registry spells each job once', () => {
  it('keeps the ids the service has always used', () => {
    expect(jobOf(postBatchJob, [post('300'), post('1000'), post('20')]).opts.jobId).toBe('posts-20-1000-3');
    expect(jobOf(singlePostJob, post('77')).opts.jobId).toBe('tweet-77');
    expect(jobOf(chargeBatchJob, ['ord_a', 'ord_b', 'ord_c'])).toEqual({ name: 'charges', data: { orderIds: ['ord_a', 'ord_b', 'ord_c'] }, opts: { jobId: 'charges-ord_a-ord_c-3' } });
    expect(jobOf(singleChargeJob, 'ord_a').opts.jobId).toBe('charge-ord_a');
    expect(jobOf(repliesBatchJob, { replyIds: ['rep_1', 'rep_2'], priority: 10 })).toEqual({
      name: 'batch', data: { replyIds: ['rep_1', 'rep_2'] }, opts: { jobId: repliesJobId(['rep_1', 'rep_2']), priority: 10 },
    });
    expect(jobOf(stripeEventJob, { eventId: 'evt_1', type: 'charge.refunded' })).toEqual({ name: 'charge.refunded', data: { eventId: 'evt_1' }, opts: { jobId: 'stripe-evt_1' } });
  });

  it('never makes an id BullMQ refuses (all digits, or a colon)', () => {
    expect(jobOf(chargeBatchJob, ['ord_a:1']).opts.jobId).toBe('charges-ord_a_1-ord_a_1-1');
    const ids = [
      jobOf(postBatchJob, [post('1')]).opts.jobId, jobOf(singlePostJob, post('1')).opts.jobId,
      jobOf(repliesBatchJob, { replyIds: ['rep_1'], priority: 1 }).opts.jobId,
    ];
    for (const id of ids) expect(id).not.toMatch(/^\d+$|:/);
  });

  it('refuses a payload its schema refuses, or a name the kind does not have, where the job is added', () => {
    expect(() => jobOf(chargeBatchJob, ['not-an-order'])).toThrow('job chargeBatch: invalid payload: orderIds.0');
    expect(() => jobOf(repliesBatchJob, { replyIds: ['oops'], priority: 1 })).toThrow('job repliesBatch: invalid payload');
    expect(() => jobOf(stripeEventJob, { eventId: 'evt_1', type: 'customer.created' })).toThrow('"customer.created" is not one of its names');
  });

  it('refuses a job on another kind\'s queue', async () => {
    const replies = { name: 'replies', addBulk: jest.fn() } as unknown as Queue;
    await expect(addJobs(replies, chargeBatchJob, [['ord_a']])).rejects.toThrow('job chargeBatch belongs on "charges", not "replies"');
    expect(replies.addBulk).not.toHaveBeenCalled();
  });

  it('knows the names of each queue', () => {
    expect(jobNames('tweets')).toEqual(['batch', 'post']);
    expect(jobNames('charges')).toEqual(['charges', 'charge']);
    expect(jobNames('replies')).toContain('receipt');
    expect(jobNames('stripeEvents')).toContain('payment_intent.succeeded');
  });
});
