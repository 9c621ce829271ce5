import { evaluate, type MatchSubject } from './rules';
import type { EmulatorState } from './state';
import type { PostRecord, ReferenceType } from './store';

export interface NewPost {
  author_id: string;
  text?: string;
  in_reply_to_tweet_id?: string;
  quoted_tweet_id?: string;
  retweeted_tweet_id?: string;
  edit_of_tweet_id?: string;
  created_at?: string;
}

export class PostInputError extends Error {}

function live(state: EmulatorState, id: string, what: string): PostRecord {
  const post = state.store.posts.get(id);
  if (!post || post.deleted) throw new PostInputError(`unknown ${what}: ${id}`);
  return post;
}

/** Validates and stores a post, then offers it to the filtered stream. */
export function createPost(state: EmulatorState, input: NewPost, source: 'api' | 'control'): PostRecord {
  const { store } = state;
  const author = store.users.get(String(input.author_id ?? ''));
  if (!author) throw new PostInputError(`unknown author_id: ${String(input.author_id)}`);
  let createdMs = Date.now();
  if (input.created_at !== undefined) {
    createdMs = Date.parse(input.created_at);
    if (!Number.isFinite(createdMs)) throw new PostInputError('created_at must be an ISO-8601 timestamp');
  }
  const refs: Array<{ type: ReferenceType; id: string }> = [];
  let text = input.text ?? '';
  let inReplyToUserId: string | undefined;
  let conversationId: string | undefined;
  let history: string[] = [];

  if (input.edit_of_tweet_id) {
    const original = live(state, input.edit_of_tweet_id, 'edit_of_tweet_id');
    if (original.referenced_tweets?.some((r) => r.type === 'retweeted')) throw new PostInputError('a retweet cannot be edited');
    if (original.author_id !== author.id) throw new PostInputError('only the author can edit a post');
    history = [...original.edit_history_tweet_ids];
    conversationId = original.conversation_id;
    inReplyToUserId = original.in_reply_to_user_id;
    for (const r of original.referenced_tweets ?? []) refs.push({ ...r });
  }
  if (input.retweeted_tweet_id) {
    const orig = live(state, input.retweeted_tweet_id, 'retweeted_tweet_id');
    const origAuthor = store.users.get(orig.author_id);
    text = `RT @${origAuthor?.username ?? 'unknown'}: ${orig.text}`;
    refs.push({ type: 'retweeted', id: orig.id });
  }
  if (input.quoted_tweet_id) {
    const quoted = live(state, input.quoted_tweet_id, 'quoted_tweet_id');
    if (!refs.some((r) => r.type === 'quoted')) refs.push({ type: 'quoted', id: quoted.id });
  }
  if (input.in_reply_to_tweet_id) {
    const parent = live(state, input.in_reply_to_tweet_id, 'in_reply_to_tweet_id');
    inReplyToUserId = parent.author_id;
    conversationId = parent.conversation_id;
    if (!refs.some((r) => r.type === 'replied_to')) refs.push({ type: 'replied_to', id: parent.id });
  }
  if (!text) throw new PostInputError('text is required');

  const id = store.newPostId(createdMs);
  const post: PostRecord = {
    id,
    text,
    author_id: author.id,
    created_at: new Date(createdMs).toISOString(),
    conversation_id: conversationId ?? id,
    entities: store.entitiesFor(text),
    edit_history_tweet_ids: [...history, id],
    reply_settings: author.restrict_replies ? 'mentionedUsers' : 'everyone',
    source,
    deleted: false,
  };
  if (inReplyToUserId) post.in_reply_to_user_id = inReplyToUserId;
  if (refs.length) post.referenced_tweets = refs;
  store.posts.set(id, post);
  // Every version of an edited post reports the whole chain, as X does.
  for (const prior of history) {
    const p = store.posts.get(prior);
    if (p) p.edit_history_tweet_ids = [...post.edit_history_tweet_ids];
  }
  publish(state, post);
  return post;
}

export function subjectOf(state: EmulatorState, post: PostRecord): MatchSubject {
  const { store } = state;
  const author = store.users.get(post.author_id);
  const replyTo = post.in_reply_to_user_id ? store.users.get(post.in_reply_to_user_id) : undefined;
  const subject: MatchSubject = {
    text: post.text.toLowerCase(),
    hashtags: new Set((post.entities.hashtags ?? []).map((h) => h.tag.toLowerCase())),
    cashtags: new Set((post.entities.cashtags ?? []).map((h) => h.tag.toLowerCase())),
    mentions: new Set((post.entities.mentions ?? []).map((m) => m.username.toLowerCase())),
    authorId: post.author_id,
    authorUsername: (author?.username ?? '').toLowerCase(),
    isRetweet: Boolean(post.referenced_tweets?.some((r) => r.type === 'retweeted')),
    isQuote: Boolean(post.referenced_tweets?.some((r) => r.type === 'quoted')),
    isReply: Boolean(post.referenced_tweets?.some((r) => r.type === 'replied_to')),
    hasLinks: Boolean(post.entities.urls?.length),
    conversationId: post.conversation_id,
  };
  const repliedTo = post.referenced_tweets?.find((r) => r.type === 'replied_to');
  if (repliedTo) subject.inReplyToTweetId = repliedTo.id;
  if (post.in_reply_to_user_id) subject.replyToUserId = post.in_reply_to_user_id;
  if (replyTo) subject.replyToUsername = replyTo.username.toLowerCase();
  return subject;
}

export function matchingRules(state: EmulatorState, post: PostRecord): Array<{ id: string; tag?: string }> {
  if (!state.store.rules.size) return [];
  const subject = subjectOf(state, post);
  const matched: Array<{ id: string; tag?: string }> = [];
  for (const rule of state.store.rules.values()) {
    if (evaluate(rule.ast, subject)) matched.push(rule.tag === undefined ? { id: rule.id } : { id: rule.id, tag: rule.tag });
  }
  return matched;
}

function publish(state: EmulatorState, post: PostRecord): void {
  const rules = matchingRules(state, post);
  if (rules.length) state.hub.deliver(post, rules);
}
