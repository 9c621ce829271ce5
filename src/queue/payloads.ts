import { z } from 'zod';
import { storablePost } from '../x/x.port';

/** Job payloads are validated when a worker takes them: a malformed job fails for good, loudly. */
export const inboundPostSchema = z.object({
  id: z.string().regex(/^\d{1,20}$/),
  text: z.string(),
  authorId: z.string().regex(/^\d{1,20}$/),
  authorUsername: z.string().nullable(),
  createdAt: z.string().nullable(),
  hashtags: z.array(z.string()),
  mentions: z.array(z.object({ username: z.string(), id: z.string().optional() })),
  referenced: z.array(z.object({ type: z.enum(['retweeted', 'quoted', 'replied_to']), id: z.string() })),
  editHistoryIds: z.array(z.string()),
}).transform(storablePost); // also for posts enqueued before ingest cleaned them

export const chargeJobSchema = z.object({ orderId: z.string().startsWith('ord_') });
export const replyJobSchema = z.object({ replyId: z.string().startsWith('rep_') });
export const stripeEventJobSchema = z.object({ eventId: z.string().startsWith('evt_') });
