import type { Queues } from './queues';
import { jobId } from './queues';
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
export const replyJobId = (subject: string, kind: ReplyKind) => jobId('reply', subject, kind);

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
    replies.length
      ? queues.replies.addBulk(
          replies.map((f) => ({
            name: f.replyKind,
            data: { replyId: f.replyId },
            opts: { jobId: replyJobId(f.subject, f.replyKind), priority: REPLY_PRIORITY[f.replyKind] },
          })),
        )
      : undefined,
  ]);
}
