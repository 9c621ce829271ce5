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

/** X refused for good (403: replies restricted, not allowed; 400: bad request). Not retried. */
export class XRefusedError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'XRefusedError';
  }
}

export interface XRepliesPort {
  postReply(inReplyToTweetId: string, text: string): Promise<{ id: string; rateLimit: RateLimitInfo | null }>;
  /** Our earlier reply to that post, if one exists: what a retry checks before posting again. */
  findOwnReply(inReplyToTweetId: string): Promise<string | null>;
}
