import type { Db, Queryable } from '../db/pool';
import { inTransaction, isUniqueViolation } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import { hashtagKey } from '../products/hashtag';
import * as turns from './batch-turns';
import { EarlierBatchesFirst, TurnNeeded, type Turn } from './matching-context';

/**
 * Runs a batch's decision on one connection until it holds: in one transaction, in its turn among
 * concurrent batches (batch-turns.ts), again after the earlier batches it must let go first, with a
 * turn once it finds units left without one, and again after a concurrent edit of one of its posts
 * bought. `open`: the batch's posts past the screen (their hashtags are what a turn is taken for).
 */
export async function decideInTurn<T>(db: Db, open: InboundPost[], decide: (q: Queryable, turn: Turn | null) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let turn = null as Turn | null;
  let broken = undefined as Error | undefined;
  let waitFor: string[] = [];
  // A batch for limited stock with units left takes a turn; one for sold-out stock does not.
  const takeTurn = async () => {
    const hashtagKeys = [...new Set(open.flatMap((p) => p.hashtags.map(hashtagKey)))];
    const announced = await turns.announceBatch(client, open[0]!.id, hashtagKeys).catch((err: Error) => {
      // The statement may have taken its advisory lock before failing: this connection is not reused.
      broken = err;
      throw err;
    });
    if (announced.id) turn = { id: announced.id, firstPostId: open[0]!.id, hashtagKeys };
    waitFor = announced.earlier;
  };
  try {
    if (open.length) await takeTurn();
    for (let attempt = 1, turnsTaken = 1; ; ) {
      if (waitFor.length) await turns.awaitBatches(client, waitFor, turn?.hashtagKeys ?? []);
      try {
        // Posts that need no database beyond their own row are one statement, without a transaction.
        return open.length ? await inTransaction(client, (tx) => decide(tx, turn)) : await decide(client, turn);
      } catch (err) {
        if (err instanceof EarlierBatchesFirst) {
          waitFor = err.ids;
          continue;
        }
        // Units were freed since the batch looked: it takes its turn now (a few tries, then the job retries).
        if (err instanceof TurnNeeded && turnsTaken++ < 5) {
          await takeTurn();
          continue;
        }
        // Another version of a post's chain bought in a concurrent batch: everything rolled back
        // (the claims too), and deciding again finds that version's order.
        if (attempt++ >= 3 || !isUniqueViolation(err, 'orders_one_per_edit_chain')) throw err;
      }
    }
  } finally {
    if (turn) await turns.retireBatch(client, turn.id).catch((err: Error) => (broken = err));
    // A connection that could not let go of its turn is closed: the lock goes with it.
    client.release(broken);
  }
}
