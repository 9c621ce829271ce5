import { RULE_TAG, type Ingest } from '../../../src/ingest';
import { BEARER, FAST, startHarness, waitFor, delay, type IngestHarness } from './helpers';

jest.setTimeout(30_000);

let h: IngestHarness;
let ingest: Ingest;

const ruleText = () => h.emu.rules().filter((r) => r.tag === RULE_TAG).map((r) => r.value).join('\n');

beforeAll(async () => {
  h = await startHarness();
  // Someone else's rule on the same app: a sync must never delete it.
  await h.clients.app.v2.updateStreamRules({ add: [{ value: '#NotOurs', tag: 'other-team' }] });
  await h.addProduct('BuyBlueMug');
  ingest = await h.start(FAST, 'stream-a');
  await waitFor(() => ingest.status().connected, 5000, 'stream connected');
});

afterAll(async () => {
  await h?.close();
});

describe('stream rules follow live products', () => {
  it('starts with one rule per live hashtag, mention required, retweets and quotes excluded', () => {
    expect(ingest.isActive()).toBe(true);
    expect(h.emu.rules()).toEqual(expect.arrayContaining([
      expect.objectContaining({ value: '#BuyBlueMug @shop -is:retweet -is:quote', tag: RULE_TAG }),
      expect.objectContaining({ value: '#NotOurs', tag: 'other-team' }),
    ]));
  });

  it('adds a rule within seconds of a product being created, and removes it when archived', async () => {
    const red = await h.addProduct('BuyRedMug');
    const t0 = Date.now();
    h.notify();
    await waitFor(() => /#BuyRedMug\b/.test(ruleText()), 3000, 'rule for #BuyRedMug');
    const addedAfter = Date.now() - t0;
    expect(addedAfter).toBeLessThan(3000);
    expect(ruleText()).toMatch(/#BuyBlueMug\b/);

    await h.archiveProduct(red);
    h.notify();
    await waitFor(() => !/#BuyRedMug\b/.test(ruleText()), 3000, 'rule for #BuyRedMug removed');
    expect(ruleText()).toMatch(/#BuyBlueMug\b/);
    expect(h.emu.rules().some((r) => r.value === '#NotOurs')).toBe(true);
  });

  it('coalesces a burst of product changes into few rule changes, OR-batched', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await h.addProduct(`BurstTag${i}`));
    for (let i = 0; i < 5; i++) h.notify();
    await waitFor(() => [0, 1, 2, 3, 4].every((i) => ruleText().includes(`#BurstTag${i}`)), 3000, 'burst rules');
    const burstRules = h.emu.rules().filter((r) => r.value.includes('#BurstTag'));
    expect(burstRules).toHaveLength(1);
    expect(burstRules[0]!.value).toBe('(#BurstTag0 OR #BurstTag1 OR #BurstTag2 OR #BurstTag3 OR #BurstTag4) @shop -is:retweet -is:quote');
    for (const id of ids) await h.archiveProduct(id);
    await ingest.syncRulesNow();
    expect(ruleText()).not.toMatch(/BurstTag/);
  });
});

describe('posts are handed on in batch jobs', () => {
  it('enqueues a matching post exactly once, normalised', async () => {
    const reply = h.emu.injectTweet({ author_id: h.shop.id, text: 'hello' });
    const post = h.emu.injectTweet({ author_id: h.buyer.id, text: '@shop #BuyBlueMug please', in_reply_to_tweet_id: reply.id });
    const data = await waitFor(() => h.job(post.id), 5000, 'job for the post');
    expect(data).toEqual({
      id: post.id,
      text: '@shop #BuyBlueMug please',
      authorId: h.buyer.id,
      authorUsername: 'buyer_one',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      hashtags: ['BuyBlueMug'],
      mentions: [{ username: 'shop', id: h.shop.id }],
      referenced: [{ type: 'replied_to', id: reply.id }],
      editHistoryIds: [post.id],
    });
    expect((await h.jobIds()).filter((j) => j === `${post.id}`)).toHaveLength(1);
  });

  it('never enqueues retweets, quotes, posts without the mention, or posts for archived products', async () => {
    const original = h.post('BuyBlueMug', 'original');
    const rt = h.emu.injectTweet({ author_id: h.shop.id, retweeted_tweet_id: original.id });
    const quote = h.emu.injectTweet({ author_id: h.buyer.id, text: '@shop #BuyBlueMug look', quoted_tweet_id: original.id });
    const noMention = h.emu.injectTweet({ author_id: h.buyer.id, text: '#BuyBlueMug no mention' });
    const archived = h.post('BuyRedMug');
    const sentinel = h.post('BuyBlueMug', 'sentinel');
    await waitFor(() => h.job(sentinel.id), 5000, 'sentinel job');
    await delay(300);
    const ids = await h.jobIds();
    expect(ids).toContain(`${original.id}`);
    for (const p of [rt, quote, noMention, archived]) expect(ids).not.toContain(`${p.id}`);
  });

  it('the same post seen by the stream and by backfill goes on in the same batch job: one job', async () => {
    const before = (await h.cursor())!;
    const post = h.post('BuyBlueMug', 'twice');
    await waitFor(() => h.job(post.id), 5000, 'job from the stream');
    const jobsBefore = (await h.jobIds()).length;
    // Rewind the cursor so the backfill after the next reconnect finds the post again.
    await h.rewindCursor(before);
    const backfilledBefore = ingest.status().backfilled;
    const connects = ingest.status().connects;
    h.emu.disconnectStream('operational');
    await waitFor(() => ingest.status().connects > connects && ingest.status().backfilled > backfilledBefore, 5000, 'reconnect + backfill');
    expect(ingest.status().lastDisconnectReason).toMatch(/operational-disconnect/);
    expect((await h.jobIds()).length).toBe(jobsBefore);
    expect((await h.jobIds()).filter((j) => j === `${post.id}`)).toHaveLength(1);
  });

  it('loses nothing across disconnects while posts keep coming (backfill from the last id seen)', async () => {
    const injected: string[] = [];
    let stop = false;
    const producer = (async () => {
      while (!stop) {
        injected.push(h.post('BuyBlueMug', `n${injected.length}`).id);
        await delay(40);
      }
    })();
    await delay(400);
    const deliveredBefore = h.emu.streamStatus().delivered_total;
    h.emu.disconnectStream('abrupt');
    // The first reconnect fails too, so the gap lasts a while.
    h.emu.injectFault({ path: '/2/tweets/search/stream', status: 503, count: 1 });
    await delay(300);
    await waitFor(() => ingest.status().connected, 5000, 'reconnected after abrupt drop');
    await delay(300);
    h.emu.disconnectStream('operational');
    await delay(400);
    stop = true;
    await producer;
    const deliveredDuring = h.emu.streamStatus().delivered_total - deliveredBefore;
    expect(deliveredDuring).toBeLessThan(injected.length); // some posts were never on the stream
    const ids = await waitFor(async () => {
      const all = await h.jobIds();
      return injected.every((id) => all.includes(`${id}`)) ? all : null;
    }, 8000, 'every injected post enqueued');
    for (const id of injected) expect(ids.filter((j) => j === `${id}`)).toHaveLength(1);
    const cursor = await h.cursor();
    expect(BigInt(cursor!)).toBeGreaterThanOrEqual(BigInt(injected[injected.length - 1]!));
  });

  it('never writes a token to the log, and logs one line per event', () => {
    const text = h.logs.join('');
    expect(text).not.toContain(BEARER);
    expect(text).toMatch(/lease acquired/);
    expect(text).toMatch(/stream connected/);
    expect(text).toMatch(/stream disconnected/);
    expect(text).toMatch(/stream reconnect in \d+ ms/);
    expect(text).toMatch(/backfilled \d+ posts/);
    expect(text).toMatch(/rules synced \+\d+\/-\d+/);
  });
});
