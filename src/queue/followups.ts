import type { Queues } from './queues';
import { repliesBatchSizeOf } from './queues';
import { REPLY_PRIORITY, type ReplyKind } from '../replies/templates';
import { addJobs, chargeBatchJob, jobIdOf, jobOf, repliesBatchJob, replyJobId, singleChargeJob, type JobSpec } from './registry';

/** Work a committed transaction leaves behind; enqueued after commit, idempotent by job id. */
export type Followup =
  | { kind: 'charge'; orderId: string }
  | { kind: 'reply'; replyId: string; replyKind: ReplyKind; subject: string };

/** Orders one `charges` job carries at most: one statement starts them, one settles the paid. */
export const CHARGE_BATCH_SIZE = 50;

/** Order ids in `charges` jobs: sorted, without duplicates, CHARGE_BATCH_SIZE at most each. */
export function chargeBatches(orderIds: string[], size = CHARGE_BATCH_SIZE): string[][] {
  const ids = [...new Set(orderIds)].sort();
  const batches = [];
  for (let i = 0; i < ids.length; i += size) batches.push(ids.slice(i, i + size));
  return batches;
}

/** Reply ids in `batch` jobs: the input of the registry's `repliesBatchJob`. */
type RepliesBatch = { replyIds: string[]; priority: number };

/**
 * Reply ids in `batch` jobs of `size` at most. Replies of one priority go together (a receipt is
 * not held behind a sold-out notice); within it ids are sorted and without duplicates.
 */
export function replyBatchInputs(replies: Array<{ replyId: string; replyKind: ReplyKind }>, size: number): RepliesBatch[] {
  const byPriority = new Map<number, Set<string>>();
  for (const r of replies) {
    const priority = REPLY_PRIORITY[r.replyKind];
    byPriority.set(priority, (byPriority.get(priority) ?? new Set()).add(r.replyId));
  }
  const batches: RepliesBatch[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const ids = [...byPriority.get(priority)!].sort();
    for (let i = 0; i < ids.length; i += size) batches.push({ replyIds: ids.slice(i, i + size), priority });
  }
  return batches;
}

/** The same batches as the jobs BullMQ takes. */
export function replyBatches(replies: Array<{ replyId: string; replyKind: ReplyKind }>, size: number): Array<JobSpec<{ replyIds: string[] }>> {
  return replyBatchInputs(replies, size).map((b) => jobOf(repliesBatchJob, b) as JobSpec<{ replyIds: string[] }>);
}

const followupJobId = (f: Followup) => (f.kind === 'charge' ? jobIdOf(singleChargeJob, f.orderId) : replyJobId(f.subject, f.replyKind));

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
  const charges = followups.flatMap((f) => (f.kind === 'charge' ? [f.orderId] : []));
  const replies = followups.flatMap((f) => (f.kind === 'reply' ? [{ replyId: f.replyId, replyKind: f.replyKind }] : []));
  await Promise.all([
    addJobs(queues.charges, chargeBatchJob, chargeBatches(charges)),
    addJobs(queues.replies, repliesBatchJob, replyBatchInputs(replies, repliesBatchSizeOf(queues.replies))),
  ]);
}

export { repliesJobId } from './registry';
