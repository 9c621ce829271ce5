import { replyBatches, repliesJobId } from '../../src/queue/followups';
import { repliesJobSchema } from '../../src/queue/payloads';

describe('reply batches', () => {
  it('go out by priority (action needed, then receipts, notices last), sorted, without duplicates, at most the batch size each', () => {
    const ids = Array.from({ length: 5 }, (_, i) => `rep_r${i}`);
    const batches = replyBatches([
      { replyId: 'rep_sold', replyKind: 'sold_out' },
      ...ids.reverse().map((replyId) => ({ replyId, replyKind: 'receipt' as const })),
      { replyId: 'rep_r3', replyKind: 'receipt' },
      { replyId: 'rep_sign', replyKind: 'signup' },
    ], 4);
    expect(batches.map((b) => [b.opts.priority, b.data.replyIds])).toEqual([
      [1, ['rep_sign']],
      [2, ['rep_r0', 'rep_r1', 'rep_r2', 'rep_r3']],
      [2, ['rep_r4']],
      [10, ['rep_sold']],
    ]);
    expect(batches.every((b) => b.name === 'batch' && b.opts.jobId === repliesJobId(b.data.replyIds))).toBe(true);
  });

  it('the same replies make the same job id; different replies a different one, even with the same first and size', () => {
    expect(repliesJobId(['rep_a', 'rep_b'])).toBe(repliesJobId(['rep_a', 'rep_b']));
    expect(repliesJobId(['rep_a', 'rep_b'])).not.toBe(repliesJobId(['rep_a', 'rep_c']));
    // BullMQ refuses ids with ':' or all digits.
    expect(repliesJobId(['rep_a'])).toMatch(/^replies-rep_a-1-[0-9a-f]{16}$/);
  });

  it('a job from before batches reads as a batch of one; a malformed one is refused', () => {
    expect(repliesJobSchema.parse({ replyId: 'rep_old' })).toEqual({ replyIds: ['rep_old'] });
    expect(repliesJobSchema.parse({ replyIds: ['rep_a', 'rep_b'] })).toEqual({ replyIds: ['rep_a', 'rep_b'] });
    expect(repliesJobSchema.safeParse({ replyIds: [] }).success).toBe(false);
    expect(repliesJobSchema.safeParse({ replyIds: ['ord_x'] }).success).toBe(false);
    expect(repliesJobSchema.safeParse({}).success).toBe(false);
  });
});
