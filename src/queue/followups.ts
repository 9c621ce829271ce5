import type { Queues } from './queues';
import { jobId } from './queues';
import { REPLY_PRIORITY, type ReplyKind } from '../replies/templates';

/** Work a committed transaction leaves behind; enqueued after commit, idempotent by job id. */
export type Followup =
  | { kind: 'charge'; orderId: string }
  | { kind: 'reply'; replyId: string; replyKind: ReplyKind; subject: string };

export const chargeJobId = (orderId: string) => jobId('charge', orderId);
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
    charges.length
      ? queues.charges.addBulk(charges.map((f) => ({ name: 'charge', data: { orderId: f.orderId }, opts: { jobId: chargeJobId(f.orderId) } })))
      : undefined,
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
