import type { Db, Tx } from '../db/pool';
import { withTransaction } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import { claimPosts, recordedPosts } from './batch.repository';
import { screen, type ScreenRules } from './decide';
import type { MatchResult, SeparatePath } from './matching.service';

/** What a buyer's post about an order (#cancel, #confirm) does, given its claim. */
export interface SeparateRules<R extends MatchResult> {
  takes(post: InboundPost): boolean;
  /** Decides the post inside the transaction that claimed it. */
  decide(tx: Tx, post: InboundPost, at: Date): Promise<R>;
  /** The result of a post the screen turned away (a retweet, no mention of the shop ...), or of one recorded before (`recorded`). */
  asResult(base: MatchResult, post: InboundPost, recorded: boolean): R | Promise<R>;
}

/**
 * The matcher's separate path for a buyer's post about an order (few, and each locks one order):
 * claimed, screened like any post, decided and recorded in one transaction. A post recorded before
 * (a redelivery) returns the work it still has pending.
 */
export function createSeparatePath<R extends MatchResult>(d: ScreenRules & { db: Db }, rules: SeparateRules<R>): SeparatePath {
  return {
    takes: rules.takes,
    async handle(post, now) {
      const at = post.createdAt ? new Date(post.createdAt) : now;
      const fresh = await withTransaction(d.db, async (tx) => {
        const claim = await claimPosts(tx, [{
          tweetId: post.id, authorId: post.authorId, authorUsername: post.authorUsername, text: post.text, postedAt: post.createdAt,
          outcome: 'processing', reason: null, originalTweetId: post.editHistoryIds.length > 1 ? post.editHistoryIds[0]! : null,
        }], [], []);
        if (!claim.claimed.has(post.id)) return null;
        const screened = screen(post, d);
        const result = screened ? await rules.asResult({ ...screened, orderIds: [], followups: [] }, post, false) : await rules.decide(tx, post, at);
        await tx.query('UPDATE posts SET outcome = $2, reason = $3 WHERE tweet_id = $1', [post.id, result.outcome, result.reason]);
        return result;
      });
      if (fresh) return fresh;
      const before = (await recordedPosts(d.db, [post.id])).get(post.id);
      return rules.asResult({ outcome: before?.outcome ?? 'unknown', reason: before?.reason ?? null, orderIds: [], followups: before?.followups ?? [] }, post, true);
    },
  };
}
