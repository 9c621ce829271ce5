import type { Queues } from './queues';
import type { ReplyKind } from '../replies/templates';
import { addJobs, chargeBatchJob, jobIdOf, replyJob, singleChargeJob } from './registry';

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

const replyInput = (f: Extract<Followup, { kind: 'reply' }>) => ({ replyId: f.replyId, kind: f.replyKind, subject: f.subject });
const followupJobId = (f: Followup) => f.kind === 'charge' ? jobIdOf(singleChargeJob, f.orderId) : jobIdOf(replyJob, replyInput(f));

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
  const replies = followups.flatMap((f) => (f.kind === 'reply' ? [replyInput(f)] : []));
  await Promise.all([
    addJobs(queues.charges, chargeBatchJob, chargeBatches(charges)),
    addJobs(queues.replies, replyJob, replies),
  ]);
}
