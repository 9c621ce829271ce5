import express, { Router, type Response } from 'express';
import { compareIds, isNumericId, oauth1AccessToken, randomToken } from './ids';
import { issueUserToken } from './oauth2';
import { createPost, PostInputError, type NewPost } from './posts';
import { ENDPOINT_KEYS, type LimitSpec } from './ratelimit';
import { renderTweet, ALL_TWEET_FIELDS } from './render';
import type { EmulatorState } from './state';
import type { PostRecord, UserMetrics, UserRecord } from './store';
import type { DisconnectKind } from './stream';

const USERNAME = /^[A-Za-z0-9_]{1,15}$/;
const FAULT_STATUSES = new Set([400, 401, 403, 404, 429, 500, 502, 503, 504]);

function bad(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

export function userView(u: UserRecord): Record<string, unknown> {
  return { id: u.id, username: u.username, name: u.name, restrict_replies: u.restrict_replies, created_at: u.created_at, public_metrics: { ...u.public_metrics } };
}

const METRICS = ['followers_count', 'following_count', 'tweet_count', 'listed_count', 'like_count'] as const;

/**
 * Account facts a test may set (X's own: `created_at` as ISO 8601, `public_metrics` counts), checked
 * as X would hold them. Returns the fields to apply, or what is wrong.
 */
export function userFacts(body: Record<string, unknown>): { created_at?: string; public_metrics?: Partial<UserMetrics> } | string {
  const out: { created_at?: string; public_metrics?: Partial<UserMetrics> } = {};
  if (body.created_at !== undefined) {
    if (typeof body.created_at !== 'string' || !Number.isFinite(Date.parse(body.created_at))) return 'created_at must be an ISO-8601 timestamp';
    out.created_at = new Date(Date.parse(body.created_at)).toISOString();
  }
  if (body.public_metrics !== undefined) {
    const m = body.public_metrics;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'public_metrics must be an object';
    const metrics: Partial<UserMetrics> = {};
    for (const [k, v] of Object.entries(m)) {
      if (!(METRICS as readonly string[]).includes(k)) return `public_metrics.${k} is not one of ${METRICS.join(', ')}`;
      if (!Number.isInteger(v) || (v as number) < 0) return `public_metrics.${k} must be a whole number >= 0`;
      metrics[k as keyof UserMetrics] = v as number;
    }
    out.public_metrics = metrics;
  }
  return out;
}

/** A post with every field X can return, for the control API. */
export function fullPost(p: PostRecord): Record<string, unknown> {
  return renderTweet(p, ALL_TWEET_FIELDS.tweetFields);
}

export function addUser(state: EmulatorState, body: Record<string, unknown>): UserRecord | string {
  const username = typeof body.username === 'string' ? body.username.replace(/^@/, '') : '';
  if (!USERNAME.test(username)) return 'username must be 1-15 letters, digits or underscores';
  if (state.store.userByUsername(username)) return 'duplicate';
  const facts = userFacts(body);
  if (typeof facts === 'string') return facts;
  return state.store.addUser({
    ...facts,
    username,
    ...(typeof body.name === 'string' ? { name: body.name } : {}),
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    restrict_replies: body.restrict_replies === true,
    verified: body.verified === true,
  });
}

export function issueOAuth1(state: EmulatorState, userId: string): { access_token: string; access_token_secret: string } {
  const token = oauth1AccessToken(userId);
  const secret = randomToken(32);
  state.store.oauth1.set(token, { userId, token, secret });
  return { access_token: token, access_token_secret: secret };
}

export function applyConfig(state: EmulatorState, body: Record<string, unknown>): string | undefined {
  if (body.rate_limits !== undefined) {
    if (typeof body.rate_limits !== 'object' || body.rate_limits === null) return 'rate_limits must be an object';
    try {
      state.limiter.configure(body.rate_limits as Record<string, LimitSpec>);
    } catch (err) {
      return `${(err as Error).message} (keys: ${ENDPOINT_KEYS.join(', ')})`;
    }
  }
  if (body.reset_rate_limits === true) state.limiter.reset();
  if (body.keep_alive_ms !== undefined) {
    const ms = Number(body.keep_alive_ms);
    if (!Number.isFinite(ms) || ms < 10) return 'keep_alive_ms must be a number >= 10';
    state.config.keepAliveMs = ms;
    state.hub.setKeepAlive(ms);
  }
  if (body.require_mention_for_replies !== undefined) state.config.requireMentionForReplies = body.require_mention_for_replies === true;
  if (body.reject_duplicate_content !== undefined) state.config.rejectDuplicateContent = body.reject_duplicate_content === true;
  return undefined;
}

export function listPosts(state: EmulatorState, filter: { author_id?: string; in_reply_to_tweet_id?: string; since_id?: string; source?: string }): PostRecord[] {
  return state.store.livePostsNewestFirst().filter((p) => {
    if (filter.author_id && p.author_id !== filter.author_id) return false;
    if (filter.in_reply_to_tweet_id && !p.referenced_tweets?.some((r) => r.type === 'replied_to' && r.id === filter.in_reply_to_tweet_id)) return false;
    if (filter.since_id && compareIds(p.id, filter.since_id) <= 0) return false;
    if (filter.source && p.source !== filter.source) return false;
    return true;
  });
}

export function controlRoutes(state: EmulatorState): Router {
  const r = Router();
  r.use('/_emulator', express.json({ limit: '64mb' }));

  r.get('/_emulator/health', (_req, res) => void res.json({ ok: true }));

  r.post('/_emulator/users', (req, res) => {
    const result = addUser(state, (req.body ?? {}) as Record<string, unknown>);
    if (result === 'duplicate') return bad(res, 409, 'username already taken');
    if (typeof result === 'string') return bad(res, 400, result);
    res.status(201).json(userView(result));
  });
  r.get('/_emulator/users', (_req, res) => void res.json({ data: [...state.store.users.values()].map(userView) }));
  // A test ages an account or gives it followers: what X's user lookup then answers.
  r.patch('/_emulator/users/:id', (req, res) => {
    const user = state.store.users.get(String(req.params.id));
    if (!user) return bad(res, 404, 'unknown user');
    const facts = userFacts((req.body ?? {}) as Record<string, unknown>);
    if (typeof facts === 'string') return bad(res, 400, facts);
    if (facts.created_at) user.created_at = facts.created_at;
    Object.assign(user.public_metrics, facts.public_metrics);
    res.json(userView(user));
  });
  r.post('/_emulator/users/:id/oauth1', (req, res) => {
    const id = String(req.params.id);
    if (!state.store.users.has(id)) return bad(res, 404, 'unknown user');
    res.status(201).json(issueOAuth1(state, id));
  });
  r.post('/_emulator/users/:id/oauth2', (req, res) => {
    const id = String(req.params.id);
    if (!state.store.users.has(id)) return bad(res, 404, 'unknown user');
    const scopes = Array.isArray(req.body?.scopes) ? (req.body.scopes as unknown[]).map(String) : ['tweet.read', 'tweet.write', 'users.read', 'offline.access'];
    res.status(201).json(issueUserToken(state, id, scopes, typeof req.body?.client_id === 'string' ? req.body.client_id : 'emulator'));
  });

  r.post('/_emulator/tweets', (req, res) => {
    try {
      const post = createPost(state, (req.body ?? {}) as NewPost, 'control');
      res.status(201).json({ data: fullPost(post) });
    } catch (err) {
      if (err instanceof PostInputError) return bad(res, 400, err.message);
      throw err;
    }
  });
  r.post('/_emulator/tweets/bulk', (req, res) => {
    const items = (req.body as { tweets?: unknown })?.tweets;
    if (!Array.isArray(items)) return bad(res, 400, 'tweets must be an array');
    const created: PostRecord[] = [];
    try {
      for (const item of items) created.push(createPost(state, item as NewPost, 'control'));
    } catch (err) {
      if (err instanceof PostInputError) return bad(res, 400, `tweets[${created.length}]: ${err.message} (${created.length} created before it)`);
      throw err;
    }
    res.status(201).json({ data: created.map(fullPost) });
  });
  r.delete('/_emulator/tweets/:id', (req, res) => {
    const post = state.store.posts.get(String(req.params.id));
    if (!post || post.deleted) return bad(res, 404, 'unknown post');
    post.deleted = true;
    res.status(204).end();
  });
  r.get('/_emulator/tweets', (req, res) => {
    const f = (k: string): string | undefined => (typeof req.query[k] === 'string' ? (req.query[k] as string) : undefined);
    const sinceId = f('since_id');
    if (sinceId && !isNumericId(sinceId)) return bad(res, 400, 'since_id must be a numeric id');
    res.json({ data: listPosts(state, { author_id: f('author_id'), in_reply_to_tweet_id: f('in_reply_to_tweet_id'), since_id: sinceId, source: f('source') }).map(fullPost) });
  });
  r.get('/_emulator/tweets/:id', (req, res) => {
    const post = state.store.posts.get(String(req.params.id));
    if (!post) return bad(res, 404, 'unknown post');
    res.json({ data: { ...fullPost(post), deleted: post.deleted } });
  });

  r.get('/_emulator/rules', (_req, res) => void res.json({ data: [...state.store.rules.values()].map(({ id, value, tag }) => ({ id, value, ...(tag === undefined ? {} : { tag }) })) }));
  r.get('/_emulator/stream', (_req, res) => void res.json({ ...state.hub.status(), rules: state.store.rules.size }));

  r.post('/_emulator/faults', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    let disconnected: boolean | undefined;
    if (body.disconnect_stream !== undefined && body.disconnect_stream !== false) {
      const kind: DisconnectKind = body.disconnect_stream === 'abrupt' ? 'abrupt' : 'operational';
      disconnected = state.hub.drop(kind);
    }
    const hasFault = body.status !== undefined || body.latency_ms !== undefined || body.stall === true;
    if (hasFault) {
      const status = body.status === undefined ? undefined : Number(body.status);
      if (status !== undefined && !FAULT_STATUSES.has(status)) return bad(res, 400, `status must be one of ${[...FAULT_STATUSES].join(', ')}`);
      const latency = body.latency_ms === undefined ? undefined : Number(body.latency_ms);
      if (latency !== undefined && !(latency >= 0)) return bad(res, 400, 'latency_ms must be >= 0');
      const count = body.count === undefined ? 1 : Number(body.count);
      if (!Number.isInteger(count) || count < 1) return bad(res, 400, 'count must be a positive integer');
      state.faults.add({
        count,
        ...(typeof body.path === 'string' ? { path: body.path } : {}),
        ...(typeof body.method === 'string' ? { method: body.method } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(latency !== undefined ? { latency_ms: latency } : {}),
        ...(body.stall === true ? { stall: true } : {}),
      });
    } else if (disconnected === undefined) {
      return bad(res, 400, 'give disconnect_stream, status, latency_ms or stall');
    }
    res.status(201).json({ ...(disconnected === undefined ? {} : { disconnected }), faults: state.faults.list() });
  });
  r.get('/_emulator/faults', (_req, res) => void res.json({ faults: state.faults.list(), stalled: state.faults.stalled() }));
  r.delete('/_emulator/faults', (_req, res) => {
    state.faults.clear();
    res.status(204).end();
  });

  r.get('/_emulator/config', (_req, res) => void res.json(configView(state)));
  r.post('/_emulator/config', (req, res) => {
    const error = applyConfig(state, (req.body ?? {}) as Record<string, unknown>);
    if (error) return bad(res, 400, error);
    res.json(configView(state));
  });

  r.post('/_emulator/reset', (_req, res) => {
    resetState(state);
    res.status(204).end();
  });
  return r;
}

export function configView(state: EmulatorState): Record<string, unknown> {
  return {
    keep_alive_ms: state.config.keepAliveMs,
    require_mention_for_replies: state.config.requireMentionForReplies,
    reject_duplicate_content: state.config.rejectDuplicateContent,
    rate_limits: state.limiter.current(),
  };
}

export function resetState(state: EmulatorState): void {
  state.hub.drop('operational');
  state.store.reset();
  state.faults.clear();
  state.limiter.reset();
  state.deadTokens.clear();
  state.hub.resetCounters();
}
