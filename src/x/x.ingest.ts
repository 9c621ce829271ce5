import {
  ApiRequestError,
  ApiResponseError,
  ETwitterStreamEvent,
  type TweetStream,
  type TweetV2,
  type TweetV2SingleStreamResult,
  type UserV2,
} from 'twitter-api-v2';
import type { XClients } from './x.adapter';
import { isXTimeout } from './timeout';
import { storablePost, type InboundPost, type RateLimitInfo } from './x.port';

/**
 * The reading side of X for the ingest role: stream rules, the filtered stream and recent
 * search, with X's payloads normalised to InboundPost. Only this file and x.adapter.ts import
 * twitter-api-v2.
 */

const EXPANSIONS = ['author_id', 'referenced_tweets.id'] as const;
const TWEET_FIELDS = [
  'created_at', 'author_id', 'entities', 'referenced_tweets', 'edit_history_tweet_ids', 'conversation_id', 'in_reply_to_user_id',
] as const;
const USER_FIELDS = ['username'] as const;
const QUERY_PARAMS = { expansions: EXPANSIONS.join(','), 'tweet.fields': TWEET_FIELDS.join(','), 'user.fields': USER_FIELDS.join(',') };

export interface StreamRule { id: string; value: string; tag?: string }

/** Why a call to X failed, in the terms the back-off policy needs. */
export type XIngestErrorKind = 'network' | 'http' | 'rate_limit';

export class XIngestError extends Error {
  constructor(
    readonly kind: XIngestErrorKind,
    message: string,
    readonly status?: number,
    readonly rateLimit?: RateLimitInfo | null,
  ) {
    super(message);
    this.name = 'XIngestError';
  }
}

function rateLimitOf(rl: { limit: number; remaining: number; reset: number } | undefined): RateLimitInfo | null {
  return rl ? { limit: rl.limit, remaining: rl.remaining, resetAt: rl.reset * 1000 } : null;
}

/** Maps library errors to network / http / rate_limit; the message never carries a token. */
export function classifyXError(err: unknown, timeoutMs?: number): XIngestError {
  if (err instanceof XIngestError) return err;
  if (isXTimeout(err)) return new XIngestError('network', `X did not answer within ${timeoutMs ?? '?'} ms`);
  if (err instanceof ApiResponseError) {
    const rl = rateLimitOf(err.rateLimit);
    if (err.code === 429 || err.rateLimitError) return new XIngestError('rate_limit', `HTTP 429 from X`, 429, rl);
    const data = err.data as { title?: string; detail?: string } | undefined;
    return new XIngestError('http', `HTTP ${err.code} from X${data?.title ? `: ${data.title}` : ''}`, err.code, rl);
  }
  if (err instanceof ApiRequestError) return new XIngestError('network', `network error: ${err.requestError?.message ?? err.message}`);
  return new XIngestError('network', (err as Error)?.message ?? String(err));
}

interface Includes { users?: UserV2[] }

/** X's post (data + includes.users) in the pipeline's own words. */
export function normalisePost(tweet: TweetV2, includes?: Includes): InboundPost {
  const author = includes?.users?.find((u) => u.id === tweet.author_id);
  const referenced = (tweet.referenced_tweets ?? [])
    .filter((r) => r.type === 'retweeted' || r.type === 'quoted' || r.type === 'replied_to')
    .map((r) => ({ type: r.type, id: r.id }));
  return storablePost({
    id: tweet.id,
    text: tweet.text,
    authorId: tweet.author_id ?? '',
    authorUsername: author?.username ?? null,
    createdAt: tweet.created_at ?? null,
    hashtags: (tweet.entities?.hashtags ?? []).map((h) => h.tag),
    mentions: (tweet.entities?.mentions ?? []).map((m) => (m.id ? { username: m.username, id: m.id } : { username: m.username })),
    referenced,
    editHistoryIds: tweet.edit_history_tweet_ids?.length ? [...tweet.edit_history_tweet_ids] : [tweet.id],
  });
}

export interface SearchPage {
  posts: InboundPost[];
  nextToken?: string;
  rateLimit: RateLimitInfo | null;
}

export interface StreamHandlers {
  onPost(post: InboundPost): void;
  /** Called once per connection, when it ends for whatever reason (never after close()). */
  onDisconnect(reason: string): void;
}

export interface StreamHandle {
  close(): void;
}

export interface XIngestPort {
  listRules(): Promise<StreamRule[]>;
  addRules(rules: Array<{ value: string; tag: string }>): Promise<{ created: number; problems: string[] }>;
  deleteRules(ids: string[]): Promise<number>;
  searchRecent(query: string, opts: { sinceId?: string; nextToken?: string; maxResults?: number }): Promise<SearchPage>;
  /** Resolves once X answered 200; rejects with an XIngestError otherwise. */
  connectStream(handlers: StreamHandlers, opts: { keepAliveTimeoutMs: number; connectTimeoutMs?: number }): Promise<StreamHandle>;
}

const RULE_BATCH = 100;

export function createXIngestAdapter(clients: XClients): XIngestPort {
  const v2 = clients.app.v2;
  const classify = (err: unknown) => classifyXError(err, clients.timeoutMs);
  return {
    async listRules() {
      try {
        const res = await v2.streamRules();
        return (res.data ?? []).map((r) => (r.tag === undefined ? { id: r.id, value: r.value } : { id: r.id, value: r.value, tag: r.tag }));
      } catch (err) {
        throw classify(err);
      }
    },
    async addRules(rules) {
      let created = 0;
      const problems: string[] = [];
      for (let i = 0; i < rules.length; i += RULE_BATCH) {
        try {
          const res = await v2.updateStreamRules({ add: rules.slice(i, i + RULE_BATCH) });
          created += res.meta?.summary?.created ?? 0;
          const errors = (res as { errors?: Array<{ title?: string; value?: string; details?: string[] }> }).errors ?? [];
          for (const e of errors) {
            if (e.title === 'DuplicateRule') continue; // already there: what we wanted
            problems.push(`${e.title ?? 'error'}: ${e.value ?? ''} ${(e.details ?? []).join('; ')}`.trim());
          }
        } catch (err) {
          throw classify(err);
        }
      }
      return { created, problems };
    },
    async deleteRules(ids) {
      let deleted = 0;
      for (let i = 0; i < ids.length; i += RULE_BATCH) {
        try {
          const res = await v2.updateStreamRules({ delete: { ids: ids.slice(i, i + RULE_BATCH) } });
          deleted += res.meta?.summary?.deleted ?? 0;
        } catch (err) {
          throw classify(err);
        }
      }
      return deleted;
    },
    async searchRecent(query, opts) {
      const params: Record<string, string> = { query, max_results: String(opts.maxResults ?? 100), ...QUERY_PARAMS };
      if (opts.sinceId) params.since_id = opts.sinceId;
      if (opts.nextToken) params.next_token = opts.nextToken;
      try {
        const res = await v2.get<{ data?: TweetV2[]; includes?: Includes; meta?: { next_token?: string } }>(
          'tweets/search/recent', params, { fullResponse: true },
        );
        const body = res.data;
        const page: SearchPage = {
          posts: (body.data ?? []).map((t) => normalisePost(t, body.includes)),
          rateLimit: rateLimitOf(res.rateLimit),
        };
        if (body.meta?.next_token) page.nextToken = body.meta.next_token;
        return page;
      } catch (err) {
        throw classify(err);
      }
    },
    async connectStream(handlers, opts) {
      const stream: TweetStream<TweetV2SingleStreamResult> = v2.searchStream({
        autoConnect: false,
        expansions: [...EXPANSIONS],
        'tweet.fields': [...TWEET_FIELDS],
        'user.fields': [...USER_FIELDS],
      });
      let ended = false;
      let lastError = '';
      const end = (reason: string): void => {
        if (ended) return;
        ended = true;
        stream.destroy();
        handlers.onDisconnect(reason);
      };
      stream.on(ETwitterStreamEvent.Data, (msg: TweetV2SingleStreamResult) => {
        if (!ended && msg?.data?.id) handlers.onPost(normalisePost(msg.data, msg.includes as Includes | undefined));
      });
      stream.on(ETwitterStreamEvent.DataError, (payload: { errors?: Array<{ title?: string; disconnect_type?: string; detail?: string }> }) => {
        const e = payload?.errors?.[0];
        lastError = e ? `${e.title ?? 'error'}${e.disconnect_type ? ` (${e.disconnect_type})` : ''}` : 'error payload';
        if (e?.title === 'operational-disconnect' || e?.title === 'ConnectionException') end(lastError);
      });
      stream.on(ETwitterStreamEvent.ConnectionLost, () => end(`no data or keep-alive for ${opts.keepAliveTimeoutMs} ms`));
      stream.on(ETwitterStreamEvent.ConnectionError, (err: Error) => { lastError = err?.message ?? 'connection error'; });
      stream.on(ETwitterStreamEvent.ConnectionClosed, () => end(lastError || 'connection closed by X'));
      // Errors are reported through the events above; an 'error' without a listener would throw.
      stream.on(ETwitterStreamEvent.Error, () => undefined);

      const timeoutMs = opts.connectTimeoutMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          stream.connect({ autoReconnect: false, keepAliveTimeout: opts.keepAliveTimeoutMs }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new XIngestError('network', `stream connect timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        ended = true;
        stream.destroy();
        throw classify(err);
      } finally {
        clearTimeout(timer);
      }
      return {
        close() {
          ended = true;
          stream.destroy();
        },
      };
    },
  };
}
