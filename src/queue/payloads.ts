import { z } from 'zod';
import { storablePost } from '../x/x.port';

/** Job payloads are validated when a worker takes them: a malformed job fails for good, loudly. */
export const inboundPostSchema = z.object({
  id: z.string().regex(/^\d{1,20}$/),
  text: z.string(),
  authorId: z.string().regex(/^\d{1,20}$/),
  authorUsername: z.string().nullable(),
  // PostgreSQL must be able to store it: a date it cannot read would fail the whole batch, every retry.
  createdAt: z.iso.datetime({ offset: true }).nullable(),
  hashtags: z.array(z.string()),
  mentions: z.array(z.object({ username: z.string(), id: z.string().optional() })),
  referenced: z.array(z.object({ type: z.enum(['retweeted', 'quoted', 'replied_to']), id: z.string() })),
  editHistoryIds: z.array(z.string()),
}).transform(storablePost); // also for posts enqueued before ingest cleaned them

/** A `batch` job: posts as ingest handed them on. Each post is validated on its own (one bad post must not fail the rest). */
export const postBatchJobSchema = z.object({ posts: z.array(z.unknown()).min(1).max(1000) });

/** A job entry that is not a readable post, but whose id is usable: enough to record its outcome. */
export const postIdSchema = z.object({ id: z.string().regex(/^\d{1,20}$/), authorId: z.string().regex(/^\d{1,20}$/).optional().catch(undefined) });

export const chargeJobSchema = z.object({ orderId: z.string().startsWith('ord_') });
/** A `charges` job: the orders a batch (or the sweep) handed on. */
export const chargesJobSchema = z.object({ orderIds: z.array(z.string().startsWith('ord_')).min(1).max(500) });
/** A single-reply job, as queued before batches (named by the reply's kind); still processed. */
export const replyJobSchema = z.object({ replyId: z.string().startsWith('rep_') });
/** A `replies` job: a `batch` of replies, or one reply from before batches (a batch of one). */
export const repliesJobSchema = z.union([
  z.object({ replyIds: z.array(z.string().startsWith('rep_')).min(1).max(500) }),
  replyJobSchema.transform((p) => ({ replyIds: [p.replyId] })),
]);
export const stripeEventJobSchema = z.object({ eventId: z.string().startsWith('evt_') });
