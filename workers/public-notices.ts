import { withTransaction } from '../src/db/pool';
import { newId } from '../src/ids';
import { NOTICE_HORIZON_MS, postsWithin, productPageUrl, productsToCover, renderPublicNotice } from '../src/replies/public-notices';
import { coverByNotice, discardPendingNotice, noticeLoad, productCounts, recentNotices, recordNoticePosted, takePendingNotice } from '../src/replies/public-notices.repository';
import { XRateLimitedError } from '../src/x/x.port';
import { readReplyBudget, recordReplyBudget, takePost } from './reply-budget';
import type { RepliesDeps } from './replies';

/** What the replies worker has (a notice is posted from its batch), and how long a claim holds. */
export interface NoticeDeps extends Pick<RepliesDeps, 'db' | 'redis' | 'x' | 'prefix' | 'log' | 'publicBaseUrl'> {
  claimSeconds: number;
  /** False while X's gate is closed: only notices already on X cover anything. */
  canPost?: boolean;
}

/** What covering did: replies now `aggregated`, and X's reset if it said wait. */
export interface CoverResult {
  covered: number;
  notices: number;
  resetAt?: number;
}

/**
 * Before a batch of notices is posted one by one: if the notices waiting cannot all go out within
 * 15 minutes at the budget X last reported (after the replies ahead of them), the products with
 * the most notices each get one public post, and their pending notices are covered by it. The
 * notice is posted first and the replies covered only once X has it, in one transaction holding
 * the product's notice row: a buyer is always either waiting for a reply or covered by a post on X.
 */
export async function coverNoticesOverBudget(d: NoticeDeps): Promise<CoverResult> {
  const load = await noticeLoad(d.db, d.claimSeconds);
  const budget = await readReplyBudget(d.redis, d.prefix);
  const result: CoverResult = { covered: 0, notices: 0 };
  // Sold-out posts keep coming after a product's notice: the one posted lately covers them too
  // (its page is live), at no cost to the budget.
  const recent = await recentNotices(d.db, load.notices.map((n) => n.productId), NOTICE_HORIZON_MS);
  for (const [productId, noticeId] of recent) result.covered += (await coverByNotice(d.db, noticeId, productId, d.claimSeconds)).length;
  const rest = d.canPost === false ? [] : load.notices.filter((n) => !recent.has(n.productId));
  const products = productsToCover(load.ahead, rest, postsWithin(budget, Date.now()));
  for (const productId of products) {
    try {
      const posted = await postNotice(d, productId);
      if (posted === undefined) continue;
      result.covered += posted.covered;
      if (!posted.reused) result.notices += 1;
      // The notice spent the window: nothing more is asked of X before the reset.
      if (posted.spentUntil !== undefined) {
        result.resetAt = posted.spentUntil;
        break;
      }
    } catch (err) {
      if (!(err instanceof XRateLimitedError)) throw err;
      result.resetAt = err.resetAt;
      break;
    }
  }
  if (result.covered) d.log.info({ notices: result.notices, covered: result.covered, ahead: load.ahead }, 'notices over X budget: covered by public notices');
  return result;
}

/** One product's notice: undefined when another attempt is posting it right now. */
async function postNotice(d: NoticeDeps, productId: string): Promise<{ covered: number; reused: boolean; spentUntil?: number } | undefined> {
  return withTransaction(d.db, async (tx) => {
    const notice = await takePendingNotice(tx, newId('ntc'), productId);
    if (!notice) return undefined;
    // Another worker may have posted the product's notice while this one waited for its row.
    const posted = (await recentNotices(tx, [productId], NOTICE_HORIZON_MS)).get(productId);
    if (posted) {
      await discardPendingNotice(tx, notice.id);
      return { covered: (await coverByNotice(tx, posted, productId, d.claimSeconds)).length, reused: true };
    }
    const counts = await productCounts(tx, productId);
    if (!counts) return undefined;
    const text = renderPublicNotice(counts, productPageUrl(d.publicBaseUrl, productId));
    // A public notice may use the window's reserve: it tells a product's whole crowd at once.
    const turn = await takePost(d.redis, d.prefix, false);
    if (!turn.ok) throw new XRateLimitedError(turn.resetAt, 'no post of the X window left');
    // X is asked inside the transaction: a failure rolls the notice row back and covers nothing.
    const onX = await d.x.postNotice(text);
    if (onX.rateLimit) await recordReplyBudget(d.redis, d.prefix, onX.rateLimit);
    const covered = await recordNoticePosted(tx, { id: notice.id, productId, text, xPostId: onX.id }, d.claimSeconds);
    d.log.info({ product_id: productId, notice_id: notice.id, x_post_id: onX.id, covered: covered.length }, 'public notice posted');
    const spent = onX.rateLimit && onX.rateLimit.remaining <= 0;
    return { covered: covered.length, reused: false, ...(spent ? { spentUntil: onX.rateLimit!.resetAt } : {}) };
  });
}
