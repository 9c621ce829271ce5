/** What the service asks of X, in its own words. Only the adapters import twitter-api-v2. */

/** A post as the pipeline needs it, whatever path (stream, search) it arrived by. */
export interface InboundPost {
  id: string;
  text: string;
  authorId: string;
  authorUsername: string | null;
  createdAt: string | null;
  hashtags: string[];
  mentions: Array<{ username: string; id?: string }>;
  referenced: Array<{ type: 'retweeted' | 'quoted' | 'replied_to'; id: string }>;
  editHistoryIds: string[];
}

/**
 * PostgreSQL text cannot hold U+0000, so a post carrying it could never be recorded and would get
 * no outcome. NUL is replaced by U+FFFD (what stands for a character that cannot be kept) in
 * everything of a post that is stored or compared, wherever the post came from.
 */
export function storablePost(post: InboundPost): InboundPost {
  const clean = (s: string) => s.replaceAll('\u0000', '\uFFFD');
  return {
    ...post,
    text: clean(post.text),
    authorUsername: post.authorUsername === null ? null : clean(post.authorUsername),
    hashtags: post.hashtags.map(clean),
    mentions: post.mentions.map((m) => ({ ...m, username: clean(m.username) })),
  };
}

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the window resets. */
  resetAt: number;
}

/** X said 429 or the window is spent: wait until resetAt, never hammer. */
export class XRateLimitedError extends Error {
  constructor(readonly resetAt: number, message = 'X rate limit reached') {
    super(message);
    this.name = 'XRateLimitedError';
  }
}

/** X did not answer within the timeout: the outcome is unknown, so it is retried (a reply is looked up first). */
export class XTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`X did not answer within ${timeoutMs} ms`);
    this.name = 'XTimeoutError';
  }
}

/** X refused for good (403: replies restricted, not allowed; 400: bad request). Not retried. */
export class XRefusedError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'XRefusedError';
  }
}

export interface XRepliesPort {
  postReply(inReplyToTweetId: string, text: string): Promise<{ id: string; rateLimit: RateLimitInfo | null }>;
  /** A post of the shop's own, in reply to nobody (a product's public sold-out notice); spends from the same budget. */
  postNotice(text: string): Promise<{ id: string; rateLimit: RateLimitInfo | null }>;
  /** Our earlier reply to that post, if one exists: what a retry checks before posting again. */
  findOwnReply(inReplyToTweetId: string): Promise<string | null>;
}

/** What X says about an account, as the review rules use it (issue 15); null fields: X did not say. */
export interface XAccountFacts {
  createdAt: Date | null;
  followersCount: number | null;
}
