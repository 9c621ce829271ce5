import { inertText } from './inert';
import type { ProductCounts } from './public-notices.repository';

/**
 * The aggregated notice (issue 13): X lets the shop post about 100 times per 15 minutes. When the
 * sold-out and waitlist notices waiting cannot all go out one by one within 15 minutes at the
 * budget X reports, the shop posts one public notice per product instead and the notices it
 * covers are recorded as `aggregated`, so the budget goes to what a buyer must act on.
 */

/** How far ahead the notices must fit. */
export const NOTICE_HORIZON_MS = 15 * 60_000;
/** X's window for posts by a user (the rate-limit headers give its reset, not its length). */
export const X_POST_WINDOW_MS = 15 * 60_000;
/** X's documented posts per window for one account: what is assumed before X has said anything. */
export const X_POSTS_PER_WINDOW = 100;

/** What X's rate-limit headers last said about the shop's posts. */
export interface ReplyBudget {
  limit: number;
  remaining: number;
  /** Epoch ms. */
  resetAt: number;
}

/** Posts the shop may make within the horizon: what is left of this window plus every window that opens in it. */
export function postsWithin(budget: ReplyBudget | null, now: number, horizonMs = NOTICE_HORIZON_MS): number {
  const limit = budget?.limit ?? X_POSTS_PER_WINDOW;
  const current = budget && budget.resetAt > now;
  let total = current ? Math.max(0, budget.remaining) : limit;
  for (let reset = current ? budget.resetAt : now + X_POST_WINDOW_MS; reset <= now + horizonMs; reset += X_POST_WINDOW_MS) total += limit;
  return total;
}

/**
 * The products whose notices one public post should cover, most notices first, until what is
 * left (replies ahead, individual notices, one post per covered product) fits the budget. Empty
 * when everything fits. A product with one notice is never covered: its notice is as cheap.
 */
export function productsToCover(ahead: number, notices: Array<{ productId: string; pending: number }>, budget: number): string[] {
  let needed = ahead + notices.reduce((sum, n) => sum + n.pending, 0);
  const chosen: string[] = [];
  for (const n of [...notices].sort((a, b) => b.pending - a.pending || a.productId.localeCompare(b.productId))) {
    if (needed <= budget || n.pending < 2) break;
    chosen.push(n.productId);
    needed -= n.pending - 1;
  }
  return chosen;
}

/** The product's public page: counts only. */
export const productPageUrl = (publicBaseUrl: string, productId: string) => `${publicBaseUrl}/p/${encodeURIComponent(productId)}`;

function clip(name: string, max = 60): string {
  return [...name].length > max ? `${[...name].slice(0, max - 1).join('')}…` : name;
}

/**
 * The public notice. The product's name is merchant text: made inert (no mention, hashtag or
 * link of theirs). Nobody is named or mentioned; the only link is ours.
 */
export function renderPublicNotice(counts: Pick<ProductCounts, 'name' | 'waitlisted' | 'soldOut'>, pageUrl: string): string {
  const item = clip(inertText(counts.name)) || 'This item';
  if (counts.waitlisted > 0) {
    const people = counts.waitlisted === 1 ? '1 person is' : `${counts.waitlisted} people are`;
    return `${item} is sold out. ${people} waiting in post order; if a unit frees up, the next in line gets it. Your place: ${pageUrl}`;
  }
  const posts = counts.soldOut === 1 ? '1 post' : `${counts.soldOut} posts`;
  return `${item} is sold out. ${posts} came after the last unit; nobody was charged for them. Counts: ${pageUrl}`;
}
