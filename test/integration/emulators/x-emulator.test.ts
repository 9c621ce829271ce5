import { ApiResponseError, ETwitterStreamEvent, TwitterApi, type TweetStream, type TweetV2SingleStreamResult } from 'twitter-api-v2';
import { startXEmulator, type UserView, type XEmulator } from '../../../emulators/x';
import { localXClientSettings, rewriteAuthorizeUrl, type LocalXToken } from '../../../src/x/local-plugin';

const APP_BEARER = 'app-bearer-token';
const CONSUMER_KEY = 'consumer-key';
const CONSUMER_SECRET = 'consumer-secret';
const CLIENT_ID = 'client-1';
const CLIENT_SECRET = 'client-secret-1';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

let emu: XEmulator;
let app: TwitterApi;
let shop: UserView;
let buyer: UserView;
let other: UserView;
const openStreams: TweetStream[] = [];

function client(token: LocalXToken): TwitterApi {
  // TwitterApi's constructor is overloaded per token kind; every kind takes the same settings.
  return new TwitterApi(token as string, localXClientSettings(emu.url));
}

/** Resolves with the next `event` the stream emits, or fails after `ms`. */
function next<T = unknown>(stream: TweetStream, event: ETwitterStreamEvent, ms = 3000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.off(event, onEvent);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const onEvent = (payload: T): void => {
      clearTimeout(timer);
      stream.off(event, onEvent);
      resolve(payload);
    };
    stream.on(event, onEvent);
  });
}

async function openStream(options: Parameters<TweetStream['connect']>[0] = {}, query: Record<string, unknown> = {}): Promise<TweetStream> {
  const stream = app.v2.searchStream({ autoConnect: false, ...query });
  openStreams.push(stream);
  await stream.connect({ autoReconnect: false, ...options });
  return stream;
}

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function expectApiError(promise: Promise<unknown>): Promise<ApiResponseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiResponseError) return err;
    throw err;
  }
  throw new Error('expected an ApiResponseError');
}

beforeAll(async () => {
  emu = await startXEmulator({
    keepAliveMs: 150,
    bearerTokens: [APP_BEARER],
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    oauth2Clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }],
  });
  app = client(APP_BEARER);
});

beforeEach(() => {
  emu.reset();
  shop = emu.createUser({ username: 'shop', name: 'The Shop' });
  buyer = emu.createUser({ username: 'buyer', name: 'Bea Buyer' });
  other = emu.createUser({ username: 'other' });
});

afterEach(() => {
  while (openStreams.length) openStreams.pop()?.destroy();
});

afterAll(async () => {
  await emu.close();
});

describe('stream rules', () => {
  it('adds, lists, dry-runs, refuses duplicates and invalid rules, deletes', async () => {
    const added = await app.v2.updateStreamRules({ add: [{ value: '#BuyBlueMug @shop -is:retweet', tag: 'product:1' }, { value: '"blue mug" OR #mug' }] });
    expect(added.meta.summary).toEqual({ created: 2, not_created: 0, valid: 2, invalid: 0 });
    expect(added.data?.map((r) => r.value)).toEqual(['#BuyBlueMug @shop -is:retweet', '"blue mug" OR #mug']);
    const first = added.data?.[0];
    expect(first?.id).toMatch(/^[0-9]+$/);
    expect(first?.tag).toBe('product:1');

    const dry = await app.v2.updateStreamRules({ add: [{ value: '#DryRun' }] }, { dry_run: true });
    expect(dry.meta.summary.created).toBe(1);
    const listed = await app.v2.streamRules();
    expect(listed.meta.result_count).toBe(2);
    expect(listed.data.map((r) => r.value)).not.toContain('#DryRun');

    const dup = await app.v2.updateStreamRules({ add: [{ value: '#BuyBlueMug @shop -is:retweet' }] });
    expect(dup.meta.summary).toMatchObject({ created: 0, not_created: 1 });
    expect(dup.errors?.[0]).toMatchObject({ title: 'DuplicateRule', value: '#BuyBlueMug @shop -is:retweet', id: first?.id });

    const invalid = await app.v2.updateStreamRules({ add: [{ value: '-is:retweet' }, { value: '(#a OR' }] });
    expect(invalid.meta.summary).toMatchObject({ created: 0, invalid: 2 });
    expect(invalid.errors?.map((e) => e.title)).toEqual(['UnprocessableEntity', 'UnprocessableEntity']);

    const one = await app.v2.streamRules({ ids: first?.id ?? '' });
    expect(one.data).toHaveLength(1);

    const deleted = await app.v2.updateStreamRules({ delete: { ids: [first?.id ?? '', '123'] } });
    expect(deleted.meta.summary).toEqual({ deleted: 1, not_deleted: 1 });
    expect((await app.v2.streamRules()).data.map((r) => r.value)).toEqual(['"blue mug" OR #mug']);
  });

  it('refuses user tokens and missing auth on rules', async () => {
    const user = client(emu.userAccessToken(buyer.id).access_token);
    expect((await expectApiError(user.v2.streamRules())).code).toBe(403);
    expect((await expectApiError(client('not-an-app-token').v2.streamRules())).code).toBe(401);
  });
});

describe('filtered stream', () => {
  it('delivers a matching post with includes, entities and matching_rules, but not a retweet excluded by the rule', async () => {
    const { data } = await app.v2.updateStreamRules({ add: [{ value: '#BuyBlueMug @shop -is:retweet', tag: 'product:1' }] });
    const stream = await openStream({}, { expansions: ['author_id'], 'tweet.fields': ['created_at', 'author_id', 'entities', 'referenced_tweets'] });

    const received = next<TweetV2SingleStreamResult>(stream, ETwitterStreamEvent.Data);
    emu.injectTweet({ author_id: other.id, text: 'nothing to see #BlueMug' });
    const original = emu.injectTweet({ author_id: buyer.id, text: '@shop #BuyBlueMug please!' });
    const msg = await received;
    expect(msg.data.id).toBe(original.id);
    expect(msg.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(msg.data.author_id).toBe(buyer.id);
    expect(msg.data.entities?.hashtags).toEqual([{ start: 6, end: 17, tag: 'BuyBlueMug' }]);
    expect(msg.data.entities?.mentions).toEqual([{ start: 0, end: 5, username: 'shop', id: shop.id }]);
    expect(msg.includes?.users).toEqual([{ id: buyer.id, name: 'Bea Buyer', username: 'buyer' }]);
    expect(msg.matching_rules).toEqual([{ id: data?.[0]?.id, tag: 'product:1' }]);

    const afterRetweet = next<TweetV2SingleStreamResult>(stream, ETwitterStreamEvent.Data);
    const retweet = emu.injectTweet({ author_id: other.id, retweeted_tweet_id: original.id });
    expect(retweet.text).toBe('RT @buyer: @shop #BuyBlueMug please!');
    const second = emu.injectTweet({ author_id: other.id, text: 'me too @shop #buybluemug' });
    // Delivery is in order, so the first message after the retweet being the second post proves the retweet was filtered.
    expect((await afterRetweet).data.id).toBe(second.id);
  });

  it('sends only id, text and edit_history_tweet_ids by default', async () => {
    await app.v2.updateStreamRules({ add: [{ value: 'hello' }] });
    const stream = await openStream();
    const received = next<TweetV2SingleStreamResult>(stream, ETwitterStreamEvent.Data);
    const post = emu.injectTweet({ author_id: buyer.id, text: 'Hello, world' });
    const msg = await received;
    expect(Object.keys(msg.data).sort()).toEqual(['edit_history_tweet_ids', 'id', 'text']);
    expect(msg.data.edit_history_tweet_ids).toEqual([post.id]);
    expect(msg.includes).toBeUndefined();
  });

  it('sends keep-alives', async () => {
    const stream = await openStream({ keepAliveTimeout: 2000 });
    await expect(next(stream, ETwitterStreamEvent.DataKeepAlive, 2000)).resolves.toBeUndefined();
  });

  it('reconnects after an injected disconnect and keeps delivering', async () => {
    await app.v2.updateStreamRules({ add: [{ value: '#again' }] });
    const stream = await openStream({ autoReconnect: true, autoReconnectRetries: 3, nextRetryTimeout: () => 50 });
    const dataError = next<{ errors: Array<Record<string, unknown>> }>(stream, ETwitterStreamEvent.DataError);
    const reconnected = next(stream, ETwitterStreamEvent.Reconnected);
    const res = await control('POST', '/_emulator/faults', { disconnect_stream: true });
    expect(res.body.disconnected).toBe(true);
    expect((await dataError).errors[0]).toMatchObject({ title: 'operational-disconnect', type: 'https://api.twitter.com/2/problems/operational-disconnect' });
    await reconnected;
    const received = next<TweetV2SingleStreamResult>(stream, ETwitterStreamEvent.Data);
    const post = emu.injectTweet({ author_id: buyer.id, text: 'once #again' });
    expect((await received).data.id).toBe(post.id);
    expect(emu.streamStatus()).toMatchObject({ connected: true, connections_total: 2 });
  });

  it('closes the first connection when a second one opens', async () => {
    await app.v2.updateStreamRules({ add: [{ value: '#two' }] });
    const first = await openStream();
    const kicked = next<{ errors: Array<Record<string, unknown>> }>(first, ETwitterStreamEvent.DataError);
    const closed = next(first, ETwitterStreamEvent.ConnectionClosed);
    const second = await openStream();
    expect((await kicked).errors[0]?.title).toBe('operational-disconnect');
    await closed;
    const received = next<TweetV2SingleStreamResult>(second, ETwitterStreamEvent.Data);
    const post = emu.injectTweet({ author_id: buyer.id, text: '#two' });
    expect((await received).data.id).toBe(post.id);
  });

  it('pushes 10,000 bulk-injected posts in order', async () => {
    await app.v2.updateStreamRules({ add: [{ value: '#bench' }] });
    const stream = await openStream();
    const ids: string[] = [];
    const done = new Promise<void>((resolve) => {
      stream.on(ETwitterStreamEvent.Data, (msg: TweetV2SingleStreamResult) => {
        ids.push(msg.data.id);
        if (ids.length === 10_000) resolve();
      });
    });
    const started = Date.now();
    const res = await control('POST', '/_emulator/tweets/bulk', {
      tweets: Array.from({ length: 10_000 }, (_, i) => ({ author_id: buyer.id, text: `@shop #bench ${i}` })),
    });
    expect(res.status).toBe(201);
    const created = (res.body.data as Array<{ id: string }>).map((p) => p.id);
    await done;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ids).toEqual(created);
  });
});

describe('recent search', () => {
  it('pages newest first with next_token and honours since_id', async () => {
    const posts = Array.from({ length: 25 }, (_, i) => emu.injectTweet({ author_id: buyer.id, text: `#BuyBlueMug number ${i}` }));
    emu.injectTweet({ author_id: buyer.id, text: 'unrelated' });
    const newestFirst = posts.map((p) => p.id).reverse();

    const page = await app.v2.search('#BuyBlueMug', { max_results: 10, 'tweet.fields': ['author_id'], expansions: ['author_id'] });
    expect(page.tweets.map((t) => t.id)).toEqual(newestFirst.slice(0, 10));
    expect(page.meta).toMatchObject({ result_count: 10, newest_id: newestFirst[0], oldest_id: newestFirst[9] });
    expect(page.meta.next_token).toBeTruthy();
    expect(page.includes.users.map((u) => u.username)).toEqual(['buyer']);
    const page2 = await page.next();
    const page3 = await page2.next();
    expect(page2.tweets.map((t) => t.id)).toEqual(newestFirst.slice(10, 20));
    expect(page3.tweets.map((t) => t.id)).toEqual(newestFirst.slice(20));
    expect(page3.meta.next_token).toBeUndefined();

    const since = await app.v2.search('#BuyBlueMug', { since_id: posts[21]?.id ?? '', max_results: 10 });
    expect(since.tweets.map((t) => t.id)).toEqual(newestFirst.slice(0, 3));
  });

  it('rejects max_results outside 10..100 in the invalid-request shape', async () => {
    const err = await expectApiError(app.v2.search('#x', { max_results: 5 }));
    expect(err.code).toBe(400);
    expect(err.data).toMatchObject({ title: 'Invalid Request', type: 'https://api.twitter.com/2/problems/invalid-request' });
  });
});

describe('posting replies', () => {
  it('posts a reply with an OAuth 2.0 user token and shows it in the control list', async () => {
    const mention = emu.injectTweet({ author_id: buyer.id, text: '@shop #BuyBlueMug' });
    const shopClient = client(emu.userAccessToken(shop.id).access_token);
    const reply = await shopClient.v2.reply('Thanks! Receipt: https://example.test/r/1', mention.id);
    expect(reply.data.id).toMatch(/^[0-9]+$/);
    expect(BigInt(reply.data.id) > BigInt(mention.id)).toBe(true);
    const listed = await control('GET', `/_emulator/tweets?in_reply_to_tweet_id=${mention.id}`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: reply.data.id, author_id: shop.id, in_reply_to_user_id: buyer.id, conversation_id: mention.id })]);
  });

  it('posts with OAuth 1.0a credentials and verifies the signature', async () => {
    const mention = emu.injectTweet({ author_id: buyer.id, text: 'hey @shop #BuyBlueMug' });
    const creds = await control('POST', `/_emulator/users/${shop.id}/oauth1`);
    const accessToken = String(creds.body.access_token);
    expect(accessToken.startsWith(`${shop.id}-`)).toBe(true);
    const signed = client({ appKey: CONSUMER_KEY, appSecret: CONSUMER_SECRET, accessToken, accessSecret: String(creds.body.access_token_secret) });
    const reply = await signed.v2.reply('Done', mention.id);
    expect(emu.tweets({ author_id: shop.id }).map((t) => t.id)).toEqual([reply.data.id]);
    const forged = client({ appKey: CONSUMER_KEY, appSecret: CONSUMER_SECRET, accessToken, accessSecret: 'wrong' });
    expect((await expectApiError(forged.v2.reply('Nope', mention.id))).code).toBe(401);
  });

  it('refuses a reply to an author who restricted replies, and to a post that does not mention the replier', async () => {
    const grumpy = emu.createUser({ username: 'grumpy', restrict_replies: true });
    const restricted = emu.injectTweet({ author_id: grumpy.id, text: '@shop #BuyBlueMug' });
    const shopClient = client(emu.userAccessToken(shop.id).access_token);
    const err = await expectApiError(shopClient.v2.reply('hi', restricted.id));
    expect(err.code).toBe(403);
    expect(err.data).toMatchObject({ title: 'Forbidden', status: 403 });
    expect(String(err.data.detail)).toContain('Reply to this conversation is not allowed');

    const unrelated = emu.injectTweet({ author_id: buyer.id, text: '#BuyBlueMug without mention' });
    expect((await expectApiError(shopClient.v2.reply('hi', unrelated.id))).code).toBe(403);
    expect((await expectApiError(shopClient.v2.reply('hi', '1234567890'))).code).toBe(403);
    expect((await expectApiError(shopClient.v2.tweet('x'.repeat(281)))).code).toBe(403);
    expect(emu.tweets({ author_id: shop.id })).toEqual([]);
  });

  it('refuses an app-only bearer on user-context endpoints', async () => {
    const err = await expectApiError(app.v2.tweet('hello'));
    expect(err.code).toBe(403);
    expect(err.data.title).toBe('Unsupported Authentication');
  });
});

describe('users', () => {
  it('looks users up by id and username, and answers unknown ones with errors', async () => {
    expect((await app.v2.userByUsername('BUYER')).data).toEqual({ id: buyer.id, name: 'Bea Buyer', username: 'buyer' });
    expect((await app.v2.user(shop.id)).data.username).toBe('shop');
    const missing = await app.v2.userByUsername('nobody');
    expect(missing.data).toBeUndefined();
    expect(missing.errors?.[0]).toMatchObject({ title: 'Not Found Error', detail: 'Could not find user with username: [nobody].' });
  });

  it('answers created_at and public_metrics as a test set them, for many ids at once', async () => {
    emu.updateUser(buyer.id, { created_at: '2026-12-01T08:00:00.000Z', public_metrics: { followers_count: 42 } });
    const patched = await fetch(`${emu.url}/_emulator/users/${other.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ public_metrics: { followers_count: 7 } }),
    });
    expect(patched.status).toBe(200);
    const bad = await fetch(`${emu.url}/_emulator/users/${other.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ public_metrics: { followers_count: -1 } }),
    });
    expect(bad.status).toBe(400);
    const page = await app.v2.users([buyer.id, other.id, '999'], { 'user.fields': ['created_at', 'public_metrics'] });
    expect(page.data).toEqual([
      expect.objectContaining({ id: buyer.id, created_at: '2026-12-01T08:00:00.000Z', public_metrics: expect.objectContaining({ followers_count: 42 }) }),
      expect.objectContaining({ id: other.id, public_metrics: expect.objectContaining({ followers_count: 7, following_count: 0 }) }),
    ]);
    expect(page.errors?.[0]).toMatchObject({ title: 'Not Found Error', value: '999' });
    // Without user.fields, X answers only id, name and username.
    expect((await app.v2.user(buyer.id)).data).toEqual({ id: buyer.id, name: 'Bea Buyer', username: 'buyer' });
  });
});

describe('OAuth 2.0 authorization code with PKCE', () => {
  async function authorize(choice: Record<string, string>): Promise<URL> {
    const requester = client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const link = requester.generateOAuth2AuthLink(REDIRECT_URI, { scope: ['tweet.read', 'users.read', 'offline.access'] });
    const pageUrl = rewriteAuthorizeUrl(link.url, emu.url);
    const page = await fetch(pageUrl);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Authorize app');
    expect(html).toContain('@buyer');
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const res = await fetch(new URL(action, emu.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(choice).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe(link.state);
    (location as URL & { verifier?: string }).verifier = link.codeVerifier;
    return location;
  }

  it('signs the chosen user in, refreshes, and refuses a reused code', async () => {
    const location = await authorize({ user_id: buyer.id, action: 'authorize' });
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    const code = location.searchParams.get('code') ?? '';
    const codeVerifier = (location as URL & { verifier?: string }).verifier ?? '';
    const requester = client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const login = await requester.loginWithOAuth2({ code, codeVerifier, redirectUri: REDIRECT_URI });
    expect(login.expiresIn).toBe(7200);
    expect(login.scope).toEqual(['tweet.read', 'users.read', 'offline.access']);
    expect((await login.client.v2.me()).data).toMatchObject({ id: buyer.id, username: 'buyer' });
    // No tweet.write scope: posting is refused.
    expect((await expectApiError(login.client.v2.tweet('hi'))).code).toBe(403);

    const refreshed = await requester.refreshOAuth2Token(login.refreshToken ?? '');
    expect((await refreshed.client.v2.me()).data.id).toBe(buyer.id);
    expect((await expectApiError(requester.refreshOAuth2Token(login.refreshToken ?? ''))).code).toBe(400);
    expect((await expectApiError(login.client.v2.me())).code).toBe(401);
    expect((await expectApiError(requester.loginWithOAuth2({ code, codeVerifier, redirectUri: REDIRECT_URI }))).code).toBe(400);
  });

  it('refuses a wrong code_verifier', async () => {
    const location = await authorize({ user_id: buyer.id, action: 'authorize' });
    const requester = client({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const err = await expectApiError(requester.loginWithOAuth2({ code: location.searchParams.get('code') ?? '', codeVerifier: 'x'.repeat(43), redirectUri: REDIRECT_URI }));
    expect(err.code).toBe(400);
    expect(err.data).toMatchObject({ error: 'invalid_request' });
  });

  it('redirects with access_denied on cancel and shows an error page for bad parameters', async () => {
    const location = await authorize({ action: 'cancel' });
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('code')).toBeNull();
    const bad = await fetch(`${emu.url}/i/oauth2/authorize?response_type=code&client_id=unknown&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=tweet.read&state=s`);
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('not a registered app');
    expect(html).toContain('code_challenge is missing');
  });
});

describe('rate limits and faults', () => {
  it('answers 429 with rate-limit headers once the window is used up', async () => {
    emu.configure({ rate_limits: { search_recent: { limit: 2, windowMs: 60_000 } } });
    try {
      const first = await app.v2.search('#x', { max_results: 10 });
      expect(first.rateLimit).toMatchObject({ limit: 2, remaining: 1 });
      await app.v2.search('#x', { max_results: 10 });
      const err = await expectApiError(app.v2.search('#x', { max_results: 10 }));
      expect(err.code).toBe(429);
      expect(err.rateLimitError).toBe(true);
      expect(err.rateLimit?.remaining).toBe(0);
      expect(err.rateLimit?.reset).toBeGreaterThan(Date.now() / 1000);
      expect(err.data).toEqual({ title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
    } finally {
      emu.configure({ rate_limits: { search_recent: { limit: 450, windowMs: 15 * 60_000 } } });
    }
  });

  it('fails the next request on a path with an injected status, then recovers', async () => {
    const res = await control('POST', '/_emulator/faults', { status: 503, path: '/2/tweets/search/stream/rules', count: 1 });
    expect(res.status).toBe(201);
    expect((await expectApiError(app.v2.streamRules())).code).toBe(503);
    expect((await app.v2.streamRules()).meta.result_count).toBe(0);
  });
});

describe('control API posts', () => {
  it('computes entities per X rules, edits and control listing', async () => {
    const created = await control('POST', '/_emulator/tweets', { author_id: buyer.id, text: '😀 #123 #café #Buy_Mug2 @Shop a#b' });
    expect(created.status).toBe(201);
    const post = created.body.data as { id: string; entities: { hashtags: unknown[]; mentions: unknown[] } };
    expect(post.entities.hashtags).toEqual([{ start: 7, end: 12, tag: 'café' }, { start: 13, end: 22, tag: 'Buy_Mug2' }]);
    expect(post.entities.mentions).toEqual([{ start: 23, end: 28, username: 'Shop', id: shop.id }]);

    const edit = emu.injectTweet({ author_id: buyer.id, text: 'edited #café', edit_of_tweet_id: post.id });
    expect(edit.edit_history_tweet_ids).toEqual([post.id, edit.id]);
    expect((await control('POST', '/_emulator/tweets', { author_id: '1', text: 'x' })).status).toBe(400);
    expect((await control('POST', '/_emulator/users', { username: 'shop' })).status).toBe(409);
    expect(emu.tweets({ author_id: buyer.id }).map((t) => t.id)).toEqual([edit.id, post.id]);
  });
});
