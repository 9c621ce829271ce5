import type { Db } from '../db/pool';
import type { InboundPost } from '../x/x.port';
import type { Followup } from '../queue/followups';
import type { LinkSigner } from '../links/links';
import type { AccountFactsSource } from '../review/account-facts';

/**
 * What the parts of the matcher share: its deps, the results it hands back, and the signals the
 * batch decision (decide-batch.ts, batch-locks.ts) gives the transaction around it (batch-transaction.ts).
 */

export interface MatchingDeps {
  db: Db;
  signer: LinkSigner;
  publicBaseUrl: string;
  shopUsername: string;
  shopUserId?: string | null;
  requireMention: boolean;
  signupTtlHours?: number;
  /** Posts that take a path of their own (one at a time, after the batch), not the purchase rules. */
  separate?: SeparatePath;
  /** X facts about buyers for review rules (issue 15), read before the batch's transaction. */
  accountFacts?: AccountFactsSource;
}

export interface SeparatePath {
  takes(post: InboundPost): boolean;
  handle(post: InboundPost, now: Date): Promise<MatchResult>;
}

export interface MatchResult {
  outcome: string;
  reason: string | null;
  orderIds: string[];
  followups: Followup[];
  /** Refunds a buyer's #cancel wrote: Stripe is asked for them after commit (refunds.service processPending). */
  refundIds?: string[];
}
export interface PostResult extends MatchResult { postId: string }
export interface BatchResult {
  /** One per distinct post, in post-id order (separate-path posts last). */
  results: PostResult[];
  /** Every result's follow-up work, once each: enqueue after commit. */
  followups: Followup[];
}

/** A job entry that is not a readable post but carries a post id: recorded as ignored, never retried. */
export interface MalformedPost { id: string; authorId: string | null }

/** A batch's place among concurrent batches: its first post and the hashtags it asks for. */
export interface Turn { id: string; firstPostId: string; hashtagKeys: string[] }

/** A batch that found units left without a turn (one was freed since it looked): it takes one, then runs again. */
export class TurnNeeded extends Error {
  constructor() {
    super('units are left: the batch takes its turn');
  }
}

/** Live batches hold earlier posts for the same limited stock: this one waits for them, then runs again. */
export class EarlierBatchesFirst extends Error {
  constructor(readonly ids: string[]) {
    super('earlier batches are deciding the same stock');
  }
}

/** Each id once, in first-seen order (the lists a batch's statements take). */
export const unique = (xs: string[]): string[] => [...new Set(xs)];
