import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(120_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  // A stalled job is run again after 3 s; the maintenance sweep only re-arms replies after 120 s.
  s = await startStack({ env: { JOB_LOCK_MS: '3000' } });
  await s.start('api');
  await s.start('ingest');
  key = (await s.createMerchant('Crash Mugs')).apiKey;
});
afterAll(async () => {
  await s?.close();
});

const orderFor = async (tweetId: string) => (await s.db.query('SELECT * FROM orders WHERE tweet_id = $1', [tweetId])).rows[0];

describe('a worker killed between committing a payment and enqueuing its receipt', () => {
  it('the retried charge job hands back the pending receipt: the buyer gets it within seconds, once', async () => {
    await s.createProduct(key, { name: 'Gap Mug', hashtag: 'BuyGapMug', unit_amount: 1500, currency: 'usd', inventory: 3 });
    await eventually(() => s.x.rules().some((r) => r.value.includes('#BuyGapMug')), 15_000, 'a rule for the tag');
    const buyer = await s.buyer('gappy');
    const doomed = await s.start('worker', 'doomed', { HC_FAILPOINTS: 'before_charge_followups' });
    const post = s.post({ author_id: buyer.id, text: '@shop #BuyGapMug' });

    await doomed.exited();
    s.procs.delete('doomed');
    const paid = await orderFor(post.id);
    expect(paid.status).toBe('paid');
    expect(s.repliesTo(post.id)).toHaveLength(0);

    const restarted = Date.now();
    await s.start('worker');
    await eventually(() => s.repliesTo(post.id).length === 1, 30_000, 'the receipt reply');
    // Well before the sweep could have re-armed it (120 s).
    expect(Date.now() - restarted).toBeLessThan(30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.repliesTo(post.id)).toHaveLength(1);
    expect(s.repliesTo(post.id)[0]!.text).toContain(paid.id);
    const intents = s.stripe.paymentIntents().filter((pi) => (pi.metadata as Record<string, string>)?.order_id === paid.id);
    expect(intents.filter((pi) => pi.status === 'succeeded')).toHaveLength(1);
  });
});
