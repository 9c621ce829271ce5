import { eventually, startStack, type Stack } from '../../support/stack';

jest.setTimeout(120_000);

/** Whatever a post's text holds, it gets exactly one outcome. */
let s: Stack;

beforeAll(async () => {
  s = await startStack();
  await Promise.all([s.start('api'), s.start('worker'), s.start('ingest')]);
  const { apiKey } = await s.createMerchant('Odd Co');
  await s.createProduct(apiKey, { name: 'Spoon', hashtag: 'BuySpoon', unit_amount: 500, currency: 'usd' });
  await eventually(() => s.x.rules().some((r) => r.value.includes('#BuySpoon')), 15_000, 'stream rule');
});
afterAll(async () => {
  await s?.close();
});

it('a post carrying NUL gets one outcome and its reply, like any other', async () => {
  const u = s.x.createUser({ username: 'nulposter' });
  const post = s.post({ author_id: u.id, text: '@shop #BuySpoon\u0000 thanks\u0000' });
  const row = await eventually(async () => (await s.db.query('SELECT outcome, text FROM posts WHERE tweet_id = $1', [post.id])).rows[0], 15_000, 'the outcome');
  expect(row.outcome).toBe('awaiting_signup');
  expect(row.text).not.toContain('\u0000');
  const replies = await eventually(() => (s.repliesTo(post.id).length ? s.repliesTo(post.id) : null), 15_000, 'the reply');
  expect(replies).toHaveLength(1);
  expect(replies[0]!.text).toContain('/link/');
});
