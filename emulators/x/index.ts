import http from 'node:http';
import type { Socket } from 'node:net';
import { listenOn } from '../../src/net';
import { addUser, applyConfig, configView, fullPost, issueOAuth1, listPosts, resetState, userFacts } from './control';
import { FaultInjector } from './faults';
import { silentLogger, type Logger } from './logger';
import { issueUserToken } from './oauth2';
import { createPost, type NewPost } from './posts';
import { RateLimiter, type EndpointKey, type LimitSpec } from './ratelimit';
import { createApp } from './server';
import type { EmulatorState, OAuth2Client } from './state';
import { Store, type UserRecord } from './store';
import { StreamHub, type StreamStatus } from './stream';

export type { EndpointKey, LimitSpec } from './ratelimit';
export type { Logger } from './logger';
export type { NewPost } from './posts';

export interface XEmulatorOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base URL shown in pages and accepted in OAuth 1.0a signatures; default http://host:port. */
  publicUrl?: string;
  /** Stream keep-alive interval; default 20000 as on X. */
  keepAliveMs?: number;
  /** Per-endpoint overrides; null = unlimited. Defaults: X's published limits. */
  rateLimits?: Partial<Record<EndpointKey, LimitSpec>>;
  /** Default true: an API reply may only answer a post that mentions, quotes or replies to the replying account. */
  requireMentionForReplies?: boolean;
  /** Default false: refuse a post whose text repeats one of the author's posts (403 as on X). */
  rejectDuplicateContent?: boolean;
  /** App-only bearer tokens accepted; default any non-empty bearer that is not a user token. */
  bearerTokens?: string[];
  /** Registered OAuth 2.0 apps; default: any client id is accepted. */
  oauth2Clients?: OAuth2Client[];
  /** With both set, OAuth 1.0a HMAC-SHA1 signatures are verified. */
  consumerKey?: string;
  consumerSecret?: string;
  logger?: Logger;
}

export interface UserView {
  id: string; username: string; name: string; restrict_replies: boolean; created_at: string;
  public_metrics: { followers_count: number; following_count: number; tweet_count: number; listed_count: number; like_count: number };
}
/** Account facts X's user lookup answers with `user.fields=created_at,public_metrics`. */
export interface UserFactsInput { created_at?: string; public_metrics?: Partial<UserView['public_metrics']> }
export type PostView = Record<string, unknown> & { id: string; text: string; edit_history_tweet_ids: string[] };

export interface XEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
  createUser(input: { username: string; name?: string; restrict_replies?: boolean; description?: string; verified?: boolean } & UserFactsInput): UserView;
  /** Sets an account's creation date or public metrics (as PATCH /_emulator/users/:id). */
  updateUser(id: string, facts: UserFactsInput): UserView;
  users(): UserView[];
  /** OAuth 1.0a access token + secret for a user (what the control API issues). */
  oauth1Credentials(userId: string): { access_token: string; access_token_secret: string };
  /** An OAuth 2.0 user access token without the browser step. */
  userAccessToken(userId: string, scopes?: string[]): { access_token: string; refresh_token?: string; scope: string; expires_in: number; token_type: string };
  injectTweet(input: NewPost): PostView;
  injectTweets(inputs: NewPost[]): PostView[];
  deleteTweet(id: string): boolean;
  tweets(filter?: { author_id?: string; in_reply_to_tweet_id?: string; since_id?: string; source?: 'api' | 'control' }): PostView[];
  rules(): Array<{ id: string; value: string; tag?: string }>;
  streamStatus(): StreamStatus;
  disconnectStream(kind?: 'operational' | 'abrupt'): boolean;
  injectFault(fault: { path?: string; method?: string; status?: number; latency_ms?: number; stall?: boolean; count?: number }): void;
  /** Removes every fault; requests held by a stall are cut. */
  clearFaults(): void;
  configure(config: { rate_limits?: Partial<Record<EndpointKey, LimitSpec>>; keep_alive_ms?: number; require_mention_for_replies?: boolean; reject_duplicate_content?: boolean; reset_rate_limits?: boolean }): Record<string, unknown>;
  reset(): void;
}

function view(u: UserRecord): UserView {
  return { id: u.id, username: u.username, name: u.name, restrict_replies: u.restrict_replies, created_at: u.created_at, public_metrics: { ...u.public_metrics } };
}

export async function startXEmulator(opts: XEmulatorOptions = {}): Promise<XEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? silentLogger;
  const store = new Store();
  let publicUrl = opts.publicUrl ?? '';
  const state: EmulatorState = {
    store,
    hub: new StreamHub(store, opts.keepAliveMs ?? 20_000, logger),
    limiter: new RateLimiter(opts.rateLimits),
    faults: new FaultInjector(),
    config: {
      keepAliveMs: opts.keepAliveMs ?? 20_000,
      requireMentionForReplies: opts.requireMentionForReplies ?? true,
      rejectDuplicateContent: opts.rejectDuplicateContent ?? false,
    },
    logger,
    deadTokens: new Set(),
    ...(opts.oauth2Clients ? { oauth2Clients: opts.oauth2Clients } : {}),
    ...(opts.bearerTokens ? { bearerTokens: opts.bearerTokens } : {}),
    ...(opts.consumerKey ? { consumerKey: opts.consumerKey } : {}),
    ...(opts.consumerSecret ? { consumerSecret: opts.consumerSecret } : {}),
    publicUrl: () => publicUrl,
  };
  const server = http.createServer(createApp(state));
  // Streams never end on their own; track sockets so close() does not hang.
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 65_000;
  const port = await listenOn(server, opts.port, host);
  const url = `http://${host}:${port}`;
  if (!publicUrl) publicUrl = url;
  logger.info(`x-emulator: listening on ${url}`);

  const post = (p: NewPost): PostView => fullPost(createPost(state, p, 'control')) as PostView;

  return {
    url,
    port,
    close: async () => {
      state.hub.drop('abrupt');
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    createUser: (input) => {
      const result = addUser(state, input as unknown as Record<string, unknown>);
      if (typeof result === 'string') throw new Error(result === 'duplicate' ? `username already taken: ${input.username}` : result);
      return view(result);
    },
    users: () => [...store.users.values()].map(view),
    updateUser: (id, input) => {
      const user = store.users.get(id);
      if (!user) throw new Error(`unknown user ${id}`);
      const facts = userFacts(input as Record<string, unknown>);
      if (typeof facts === 'string') throw new Error(facts);
      if (facts.created_at) user.created_at = facts.created_at;
      Object.assign(user.public_metrics, facts.public_metrics);
      return view(user);
    },
    oauth1Credentials: (userId) => {
      if (!store.users.has(userId)) throw new Error(`unknown user ${userId}`);
      return issueOAuth1(state, userId);
    },
    userAccessToken: (userId, scopes = ['tweet.read', 'tweet.write', 'users.read', 'offline.access']) => {
      if (!store.users.has(userId)) throw new Error(`unknown user ${userId}`);
      return issueUserToken(state, userId, scopes) as ReturnType<XEmulator['userAccessToken']>;
    },
    injectTweet: post,
    injectTweets: (inputs) => inputs.map(post),
    deleteTweet: (id) => {
      const p = store.posts.get(id);
      if (!p || p.deleted) return false;
      p.deleted = true;
      return true;
    },
    tweets: (filter = {}) => listPosts(state, filter).map((p) => fullPost(p) as PostView),
    rules: () => [...store.rules.values()].map(({ id, value, tag }) => (tag === undefined ? { id, value } : { id, value, tag })),
    streamStatus: () => state.hub.status(),
    disconnectStream: (kind = 'operational') => state.hub.drop(kind),
    injectFault: (fault) => void state.faults.add(fault),
    clearFaults: () => state.faults.clear(),
    configure: (config) => {
      const error = applyConfig(state, config as Record<string, unknown>);
      if (error) throw new Error(error);
      return configView(state);
    },
    reset: () => resetState(state),
  };
}
