import { createHash } from 'node:crypto';
import type { Queues } from './queues';
import { jobId, repliesBatchSizeOf } from './queues';
import { REPLY_PRIORITY, type ReplyKind } from '../replies/templates';

/** Work a committed transaction leaves behind; enqueued after commit, idempotent by job id. */
export type Followup =
  | { kind: 'charge'; orderId: string }
  | { kind: 'reply'; replyId: string; replyKind: ReplyKind; subject: string };

/** A single-order `charge` job (from before batches; still processed). */
export const chargeJobId = (orderId: string) => jobId('charge', orderId);
/** Orders one `charges` job carries at most: one statement starts them, one settles the paid. */
export const CHARGE_BATCH_SIZE = 50;
/** A batch's id from its (sorted) order ids: the same orders batched again make the same job. */
export const chargesJobId = (orderIds: string[]) => jobId('charges', orderIds[0]!, orderIds[orderIds.length - 1]!, String(orderIds.length));

/** Order ids in `charges` jobs: sorted, without duplicates, CHARGE_BATCH_SIZE at most each. */
export function chargeBatches(orderIds: string[], size = CHARGE_BATCH_SIZE): Array<{ name: 'charges'; data: { orderIds: string[] }; opts: { jobId: string } }> {
  const ids = [...new Set(orderIds)].sort();
  const batches = [];
  for (let i = 0; i < ids.length; i += size) {
    const chunk = ids.slice(i, i + size);
    batches.push({ name: 'charges' as const, data: { orderIds: chunk }, opts: { jobId: chargesJobId(chunk) } });
  }
  return batches;
}
/** The id a single-reply job had before batches; still what tells two follow-ups for one reply apart. */
export const replyJobId = (subject: string, kind: ReplyKind) => jobId('reply', subject, kind);

/**
 * A batch's id from its (sorted) reply ids: the same replies batched again make the same job. A
 * digest of every id, so two batches that share their first reply and their size stay two jobs.
 */
export const repliesJobId = (replyIds: string[]) =>
  jobId('replies', replyIds[0]!, String(replyIds.length), createHash('sha256').update(replyIds.join(',')).digest('hex').slice(0, 16));

export interface RepliesBatchJob {
  name: 'batch';
  data: { replyIds: string[] };
  opts: { jobId: string; priority: number };
}

/**
 * Reply ids in `batch` jobs of `size` at most. Replies of one priority go together (a receipt is
 * not held behind a sold-out notice); within it ids are sorted and without duplicates.
 */
export function replyBatches(replies: Array<{ replyId: string; replyKind: ReplyKind }>, size: number): RepliesBatchJob[] {
  const byPriority = new Map<number, Set<string>>();
  for (const r of replies) {
    const priority = REPLY_PRIORITY[r.replyKind];
    byPriority.set(priority, (byPriority.get(priority) ?? new Set()).add(r.replyId));
  }
  const batches: RepliesBatchJob[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const ids = [...byPriority.get(priority)!].sort();
    for (let i = 0; i < ids.length; i += size) {
      const chunk = ids.slice(i, i + size);
      batches.push({ name: 'batch', data: { replyIds: chunk }, opts: { jobId: repliesJobId(chunk), priority } });
    }
  }
  return batches;
}

const followupJobId = (f: Followup) => (f.kind === 'charge' ? chargeJobId(f.orderId) : replyJobId(f.subject, f.replyKind));

/** One entry per job: lists merged from a fresh write and a "still pending" read overlap. */
export function uniqueFollowups(followups: Followup[]): Followup[] {
  const seen = new Set<string>();
  return followups.filter((f) => {
    const id = followupJobId(f);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export async function enqueueFollowups(queues: Pick<Queues, 'charges' | 'replies'>, followups: Followup[]): Promise<void> {
  const charges = followups.filter((f) => f.kind === 'charge');
  const replies = followups.filter((f) => f.kind === 'reply');
  await Promise.all([
    charges.length ? queues.charges.addBulk(chargeBatches(charges.map((f) => f.orderId))) : undefined,
    replies.length ? queues.replies.addBulk(replyBatches(replies, repliesBatchSizeOf(queues.replies))) : undefined,
  ]);
}
