import { ApiResponseError, TwitterApi, type TwitterApiReadOnly, type TwitterApiReadWrite, type TwitterApiTokens, type IClientSettings } from 'twitter-api-v2';
import { localXClientSettings } from './local-plugin';
import { isXTimeout, timeoutPlugin } from './timeout';
import { XRateLimitedError, XRefusedError, XTimeoutError, type RateLimitInfo, type XAccountFacts, type XRepliesPort } from './x.port';
import { createXIngestAdapter, type XIngestPort } from './x.ingest';

/** How long a call to X may wait for an answer unless told otherwise. */
export const DEFAULT_X_TIMEOUT_MS = 10_000;

export interface XClientOptions {
  bearerToken: string;
  userTokens: TwitterApiTokens;
  shopUsername: string;
  /** The emulator's base URL (refused in production by config). */
  apiBase?: string;
  /** Every request to X (not the stream) fails with XTimeoutError past this. */
  timeoutMs?: number;
}

export interface XClients {
  app: TwitterApiReadOnly;
  user: TwitterApiReadWrite;
  settings: Partial<IClientSettings>;
  timeoutMs: number;
}

/**
 * What the rest of the service gets of X: our ports, never the SDK's clients (their types stay in
 * src/x; a lint rule keeps XClients here).
 */
export interface XPorts {
  replies: XRepliesPort;
  ingest: XIngestPort;
  /** The X user id behind a username (the shop's, at start-up), or null when X does not say. */
  userIdOf(username: string): Promise<string | null>;
  /**
   * Accounts' creation dates and follower counts, up to 100 a request (X's users look-up by ids);
   * an id X knows nothing of maps to null.
   */
  accountFacts(xUserIds: string[]): Promise<Map<string, XAccountFacts | null>>;
}

export function createXPorts(o: XClientOptions): XPorts {
  const clients = createXClients(o);
  return {
    replies: createXRepliesAdapter(clients, o.shopUsername),
    ingest: createXIngestAdapter(clients),
    async userIdOf(username) {
      try {
        return (await clients.app.v2.userByUsername(username)).data?.id ?? null;
      } catch (err) {
        return translateXError(err, clients.timeoutMs);
      }
    },
    async accountFacts(xUserIds) {
      const facts = new Map<string, XAccountFacts | null>(xUserIds.map((id) => [id, null]));
      for (let i = 0; i < xUserIds.length; i += 100) {
        try {
          const page = await clients.app.v2.users(xUserIds.slice(i, i + 100), { 'user.fields': ['created_at', 'public_metrics'] });
          for (const user of page.data ?? []) {
            const created = user.created_at ? new Date(user.created_at) : null;
            facts.set(user.id, {
              createdAt: created && Number.isFinite(created.getTime()) ? created : null,
              followersCount: user.public_metrics?.followers_count ?? null,
            });
          }
        } catch (err) {
          translateXError(err, clients.timeoutMs);
        }
      }
      return facts;
    },
  };
}

export function createXClients(o: XClientOptions): XClients {
  const timeoutMs = o.timeoutMs ?? DEFAULT_X_TIMEOUT_MS;
  const local = o.apiBase ? localXClientSettings(o.apiBase) : undefined;
  const settings: Partial<IClientSettings> = { ...(local ?? {}), plugins: [...(local?.plugins ?? []), timeoutPlugin(timeoutMs)] };
  return {
    app: new TwitterApi(o.bearerToken, settings).readOnly,
    user: new TwitterApi(o.userTokens, settings).readWrite,
    settings,
    timeoutMs,
  };
}

function rateLimitOf(rl: { limit: number; remaining: number; reset: number } | undefined): RateLimitInfo | null {
  return rl ? { limit: rl.limit, remaining: rl.remaining, resetAt: rl.reset * 1000 } : null;
}

/** 429 waits for the reset; 4xx other than 429 is a refusal; a timeout and everything else is worth a retry. */
export function translateXError(err: unknown, timeoutMs: number): never {
  if (isXTimeout(err)) throw new XTimeoutError(timeoutMs);
  if (err instanceof ApiResponseError) {
    if (err.code === 429 || err.rateLimitError) {
      const reset = err.rateLimit?.reset ? err.rateLimit.reset * 1000 : Date.now() + 60_000;
      throw new XRateLimitedError(reset);
    }
    if (err.code >= 400 && err.code < 500 && err.code !== 408) {
      const data = err.data as { detail?: string; title?: string; reason?: string };
      throw new XRefusedError(err.code, data.reason ?? data.title ?? `http_${err.code}`, data.detail ?? err.message);
    }
  }
  throw err;
}

export function createXRepliesAdapter(clients: XClients, shopUsername: string): XRepliesPort {
  return {
    async postReply(inReplyToTweetId, text) {
      try {
        const res = await clients.user.v2.post<{ data: { id: string } }>(
          'tweets',
          { text, reply: { in_reply_to_tweet_id: inReplyToTweetId } },
          { fullResponse: true },
        );
        return { id: res.data.data.id, rateLimit: rateLimitOf(res.rateLimit) };
      } catch (err) {
        translateXError(err, clients.timeoutMs);
      }
    },
    async postNotice(text) {
      try {
        const res = await clients.user.v2.post<{ data: { id: string } }>('tweets', { text }, { fullResponse: true });
        return { id: res.data.data.id, rateLimit: rateLimitOf(res.rateLimit) };
      } catch (err) {
        translateXError(err, clients.timeoutMs);
      }
    },
    async findOwnReply(inReplyToTweetId) {
      try {
        const res = await clients.app.v2.search(`from:${shopUsername} in_reply_to_tweet_id:${inReplyToTweetId}`, { max_results: 10 });
        return res.tweets[0]?.id ?? null;
      } catch (err) {
        translateXError(err, clients.timeoutMs);
      }
    },
  };
}
