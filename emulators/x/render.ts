import type { Request } from 'express';
import type { PostRecord, Store, UserRecord } from './store';

/** What a request asked for through tweet.fields, user.fields and expansions. */
export interface RenderParams {
  tweetFields: Set<string>;
  userFields: Set<string>;
  expansions: Set<string>;
}

const TWEET_FIELDS = [
  'article', 'attachments', 'author_id', 'card_uri', 'community_id', 'context_annotations', 'conversation_id',
  'created_at', 'display_text_range', 'edit_controls', 'edit_history_tweet_ids', 'entities', 'geo', 'id',
  'in_reply_to_user_id', 'lang', 'media_metadata', 'non_public_metrics', 'note_tweet', 'organic_metrics',
  'possibly_sensitive', 'promoted_metrics', 'public_metrics', 'referenced_tweets', 'reply_settings', 'scopes',
  'source', 'text', 'withheld',
];
const USER_FIELDS = [
  'affiliation', 'connection_status', 'created_at', 'description', 'entities', 'id', 'location',
  'most_recent_tweet_id', 'name', 'pinned_tweet_id', 'profile_banner_url', 'profile_image_url', 'protected',
  'public_metrics', 'receives_your_dm', 'subscription_type', 'url', 'username', 'verified', 'verified_type', 'withheld',
];
const EXPANSIONS = [
  'article.cover_media', 'article.media_entities', 'attachments.media_keys', 'attachments.media_source_tweet',
  'attachments.poll_ids', 'author_id', 'edit_history_tweet_ids', 'entities.mentions.username', 'geo.place_id',
  'in_reply_to_user_id', 'entities.note.mentions.username', 'referenced_tweets.id', 'referenced_tweets.id.author_id',
  'pinned_tweet_id',
];

export const EMPTY_PARAMS: RenderParams = { tweetFields: new Set(), userFields: new Set(), expansions: new Set() };
export const ALL_TWEET_FIELDS: RenderParams = {
  tweetFields: new Set(['created_at', 'author_id', 'entities', 'referenced_tweets', 'conversation_id', 'in_reply_to_user_id', 'reply_settings', 'lang', 'edit_controls']),
  userFields: new Set(),
  expansions: new Set(),
};

export interface ParamError { parameter: string; value: string; message: string }

function parseList(req: Request, name: string, allowed: string[], errors: ParamError[]): Set<string> {
  const raw = req.query[name];
  if (raw === undefined) return new Set();
  const values = String(Array.isArray(raw) ? raw.join(',') : raw).split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of values) {
    if (!allowed.includes(v)) {
      errors.push({ parameter: name, value: v, message: `The \`${name}\` query parameter value [${v}] is not one of [${allowed.join(',')}]` });
    }
  }
  return new Set(values);
}

export function parseRenderParams(req: Request, errors: ParamError[]): RenderParams {
  return {
    tweetFields: parseList(req, 'tweet.fields', TWEET_FIELDS, errors),
    userFields: parseList(req, 'user.fields', USER_FIELDS, errors),
    expansions: parseList(req, 'expansions', EXPANSIONS, errors),
  };
}

export function parseUserParams(req: Request, errors: ParamError[]): RenderParams {
  return {
    tweetFields: parseList(req, 'tweet.fields', TWEET_FIELDS, errors),
    userFields: parseList(req, 'user.fields', USER_FIELDS, errors),
    expansions: parseList(req, 'expansions', ['pinned_tweet_id', 'affiliation.user_id', 'most_recent_tweet_id'], errors),
  };
}

/** X returns id, text and edit_history_tweet_ids unless more fields are asked for. */
export function renderTweet(p: PostRecord, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id, text: p.text, edit_history_tweet_ids: [...p.edit_history_tweet_ids] };
  for (const f of fields) {
    switch (f) {
      case 'created_at': out.created_at = p.created_at; break;
      case 'author_id': out.author_id = p.author_id; break;
      case 'conversation_id': out.conversation_id = p.conversation_id; break;
      case 'in_reply_to_user_id': if (p.in_reply_to_user_id) out.in_reply_to_user_id = p.in_reply_to_user_id; break;
      case 'referenced_tweets': if (p.referenced_tweets?.length) out.referenced_tweets = p.referenced_tweets.map((r) => ({ ...r })); break;
      case 'entities': if (Object.keys(p.entities).length) out.entities = structuredClone(p.entities); break;
      case 'reply_settings': out.reply_settings = p.reply_settings; break;
      case 'lang': out.lang = 'en'; break;
      case 'possibly_sensitive': out.possibly_sensitive = false; break;
      case 'source': out.source = p.source === 'api' ? 'Hashtag Checkout X emulator' : 'Twitter Web App'; break;
      case 'public_metrics': out.public_metrics = { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 }; break;
      case 'edit_controls': {
        const original = Date.parse(p.created_at);
        out.edit_controls = {
          edits_remaining: Math.max(0, 5 - (p.edit_history_tweet_ids.length - 1)),
          is_edit_eligible: !p.referenced_tweets?.some((r) => r.type === 'retweeted'),
          editable_until: new Date(original + 30 * 60 * 1000).toISOString(),
        };
        break;
      }
      default: break;
    }
  }
  return out;
}

export function renderUser(u: UserRecord, fields: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: u.id, name: u.name, username: u.username };
  for (const f of fields) {
    switch (f) {
      case 'created_at': out.created_at = u.created_at; break;
      case 'description': out.description = u.description; break;
      case 'protected': out.protected = u.protected; break;
      case 'verified': out.verified = u.verified; break;
      case 'verified_type': out.verified_type = u.verified ? 'blue' : 'none'; break;
      case 'profile_image_url': out.profile_image_url = 'https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png'; break;
      case 'public_metrics': out.public_metrics = { ...u.public_metrics }; break;
      case 'location': break;
      default: break;
    }
  }
  return out;
}

/** Builds the `includes` object for a set of primary posts. */
export function buildIncludes(store: Store, posts: PostRecord[], params: RenderParams): Record<string, unknown> | undefined {
  const ex = params.expansions;
  if (!ex.size) return undefined;
  const userIds: string[] = [];
  const addUser = (id: string | undefined): void => { if (id && !userIds.includes(id)) userIds.push(id); };
  const tweets: PostRecord[] = [];
  for (const p of posts) {
    if (ex.has('author_id')) addUser(p.author_id);
    if (ex.has('in_reply_to_user_id')) addUser(p.in_reply_to_user_id);
    if (ex.has('entities.mentions.username')) for (const m of p.entities.mentions ?? []) addUser(m.id);
    if (ex.has('referenced_tweets.id') || ex.has('referenced_tweets.id.author_id')) {
      for (const r of p.referenced_tweets ?? []) {
        const ref = store.posts.get(r.id);
        if (!ref) continue;
        if (ex.has('referenced_tweets.id') && !tweets.includes(ref)) tweets.push(ref);
        if (ex.has('referenced_tweets.id.author_id')) addUser(ref.author_id);
      }
    }
  }
  const includes: Record<string, unknown> = {};
  const users = userIds.map((id) => store.users.get(id)).filter((u): u is UserRecord => Boolean(u));
  if (users.length) includes.users = users.map((u) => renderUser(u, params.userFields));
  if (tweets.length) includes.tweets = tweets.map((t) => renderTweet(t, params.tweetFields));
  return Object.keys(includes).length ? includes : undefined;
}
