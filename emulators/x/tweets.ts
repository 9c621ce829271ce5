import { Router, type Request, type Response } from 'express';
import { appScopeOf, principalOf, requireAuth, scopeOf, type AuthConfig } from './auth';
import { codePointLength } from './entities';
import { isNumericId } from './ids';
import { forbidden, invalidRequest, notFoundError, tooManyRequests } from './problems';
import { createPost } from './posts';
import { rateLimit, setRateHeaders } from './ratelimit';
import { buildIncludes, parseRenderParams, renderTweet, type ParamError } from './render';
import type { EmulatorState } from './state';
import type { PostRecord } from './store';

const MAX_WEIGHTED_LENGTH = 280;
const URL_WEIGHT = 23;
const REPLY_NOT_ALLOWED = 'Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.';

/** twitter-text's rule that matters here: every URL counts as 23 characters. */
function weightedLength(text: string): number {
  let len = codePointLength(text);
  for (const m of text.matchAll(/https?:\/\/\S+/g)) len += URL_WEIGHT - codePointLength(m[0]);
  return len;
}

/** Whether X would let `userId` answer `target` under the mention-only reply policy. */
function engaged(state: EmulatorState, userId: string, target: PostRecord): boolean {
  if (target.author_id === userId || target.in_reply_to_user_id === userId) return true;
  const username = state.store.users.get(userId)?.username.toLowerCase();
  if (username && target.entities.mentions?.some((m) => m.username.toLowerCase() === username)) return true;
  return Boolean(target.referenced_tweets?.some((r) => r.type === 'quoted' && state.store.posts.get(r.id)?.author_id === userId));
}

function postTweet(state: EmulatorState, req: Request, res: Response): void {
  const appTake = state.limiter.take('tweets_post_app_24h', appScopeOf(req, res));
  if (appTake) {
    setRateHeaders(res, appTake, 'x-app-limit-24hour');
    if (appTake.limited) return tooManyRequests(res);
  }
  const userId = (principalOf(res) as { userId: string }).userId;
  const body = req.body as { text?: unknown; reply?: { in_reply_to_tweet_id?: unknown }; quote_tweet_id?: unknown } | undefined;
  if (!body || typeof body !== 'object') return invalidRequest(res, [{ message: 'Request body must be a JSON object' }]);
  if (typeof body.text !== 'string' || !body.text.length) {
    return invalidRequest(res, [{ parameter: 'text', value: String(body.text ?? ''), message: '$.text: a non-empty text is required' }]);
  }
  const text = body.text;
  if (weightedLength(text) > MAX_WEIGHTED_LENGTH) {
    return forbidden(res, 'Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.');
  }
  const replyTo = body.reply?.in_reply_to_tweet_id;
  let target: PostRecord | undefined;
  if (replyTo !== undefined) {
    if (typeof replyTo !== 'string' || !isNumericId(replyTo)) {
      return invalidRequest(res, [{ parameter: 'reply.in_reply_to_tweet_id', value: String(replyTo), message: '$.reply.in_reply_to_tweet_id: does not match ^[0-9]{1,19}$' }]);
    }
    target = state.store.posts.get(replyTo);
    if (!target || target.deleted) return forbidden(res, 'You attempted to reply to a Tweet that is deleted or not visible to you.');
    const targetAuthor = state.store.users.get(target.author_id);
    if (targetAuthor?.restrict_replies && target.author_id !== userId) return forbidden(res, REPLY_NOT_ALLOWED);
    if (state.config.requireMentionForReplies && !engaged(state, userId, target)) return forbidden(res, REPLY_NOT_ALLOWED);
  }
  const quote = body.quote_tweet_id;
  if (quote !== undefined) {
    const quoted = typeof quote === 'string' ? state.store.posts.get(quote) : undefined;
    if (!quoted || quoted.deleted) return forbidden(res, 'You attempted to quote a Tweet that is deleted or not visible to you.');
  }
  if (state.config.rejectDuplicateContent) {
    for (const p of state.store.posts.values()) {
      if (!p.deleted && p.author_id === userId && p.text === text) return forbidden(res, 'You are not allowed to create a Tweet with duplicate content.');
    }
  }
  const post = createPost(state, {
    author_id: userId,
    text,
    ...(target ? { in_reply_to_tweet_id: target.id } : {}),
    ...(typeof quote === 'string' ? { quoted_tweet_id: quote } : {}),
  }, 'api');
  state.logger.info(`x-emulator: post ${post.id} by ${userId}${target ? ` in reply to ${target.id}` : ''}`);
  res.status(201).json({ data: { id: post.id, text: post.text, edit_history_tweet_ids: [...post.edit_history_tweet_ids] } });
}

export function tweetRoutes(state: EmulatorState, auth: AuthConfig): Router {
  const r = Router();
  r.post('/2/tweets', requireAuth(auth, 'user', ['tweet.write']), rateLimit(state.limiter, 'tweets_post', scopeOf), (req, res) => postTweet(state, req, res));

  const lookup = (ids: string[], req: Request, res: Response): void => {
    const errors: ParamError[] = [];
    const params = parseRenderParams(req, errors);
    for (const id of ids) if (!isNumericId(id)) errors.push({ parameter: 'id', value: id, message: `The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$` });
    if (errors.length) return invalidRequest(res, errors);
    const found: PostRecord[] = [];
    const missing: Record<string, unknown>[] = [];
    for (const id of ids) {
      const p = state.store.posts.get(id);
      if (p && !p.deleted) found.push(p);
      else missing.push(notFoundError('tweet', 'id', id));
    }
    const body: Record<string, unknown> = {};
    if (found.length) {
      body.data = req.params.id ? renderTweet(found[0] as PostRecord, params.tweetFields) : found.map((p) => renderTweet(p, params.tweetFields));
      const includes = buildIncludes(state.store, found, params);
      if (includes) body.includes = includes;
    }
    if (missing.length) body.errors = missing;
    res.json(body);
  };
  const readAuth = requireAuth(auth, 'either');
  const readLimit = rateLimit(state.limiter, 'tweets_lookup', scopeOf);
  r.get('/2/tweets', readAuth, readLimit, (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : [];
    if (!ids.length) return invalidRequest(res, [{ parameter: 'ids', value: '', message: 'The `ids` query parameter can not be empty' }]);
    lookup(ids, req, res);
  });
  r.get('/2/tweets/:id', readAuth, readLimit, (req, res) => lookup([String(req.params.id)], req, res));

  r.delete('/2/tweets/:id', requireAuth(auth, 'user', ['tweet.write']), rateLimit(state.limiter, 'tweets_delete', scopeOf), (req, res) => {
    const userId = (principalOf(res) as { userId: string }).userId;
    const post = state.store.posts.get(String(req.params.id));
    if (!post || post.deleted) return void res.json({ data: { deleted: false } });
    if (post.author_id !== userId) return forbidden(res, 'You are not allowed to delete a Tweet that was not posted by you.');
    post.deleted = true;
    res.json({ data: { deleted: true } });
  });
  return r;
}
