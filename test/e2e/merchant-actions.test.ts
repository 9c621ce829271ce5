import { eventually, startStack, type Stack } from '../support/stack';

jest.setTimeout(120_000);

let s: Stack;
let key: string;

beforeAll(async () => {
  s = await startStack();
  await s.start('all');
  key = (await s.createMerchant('Mug Co')).apiKey;
});
afterAll(async () => {
  await s?.close();
});

const replyText = (tweetId: string, phrase: string) =>
  eventually(() => s.repliesTo(tweetId).find((r) => r.text.includes(phrase))?.text, 20_000, `a reply containing "${phrase}"`);
const orderOf = async (tweetId: string) => (await s.db.query<{ id: string }>('SELECT id FROM orders WHERE tweet_id = $1', [tweetId])).rows[0]?.id;

describe('a merchant ships and refunds over REST; the buyer sees each step on X (real processes)', () => {
  it('fulfils one paid order with tracking and refunds another with restock', async () => {
    const p = await s.createProduct(key, { name: 'Blue Mug', hashtag: 'BuyShipRefund', unit_amount: 1800, currency: 'usd', inventory: 5 });
    await eventually(() => s.x.rules().some((r) => r.value.toLowerCase().includes('#buyshiprefund')), 15_000, 'a stream rule');
    const alice = await s.buyer('alice');
    const first = s.post({ author_id: alice.id, text: '@shop #BuyShipRefund' });
    const second = s.post({ author_id: alice.id, text: '@shop #BuyShipRefund again' });
    await replyText(first.id, 'Paid');
    await replyText(second.id, 'Paid');
    const shipped = (await orderOf(first.id))!;
    const refunded = (await orderOf(second.id))!;

    const f = await s.api('POST', `/v1/orders/${shipped}/fulfillments`, key, { carrier: 'UPS', tracking_url: 'https://www.ups.com/track?tracknum=1Z999' });
    expect(f).toMatchObject({ status: 200, body: { fulfillment_status: 'fulfilled', status: 'paid' } });
    expect(await replyText(first.id, 'On its way')).toBe(`On its way: Blue Mug, order ${shipped}, has shipped with UPS. Track it: https://www.ups.com/track?tracknum=1Z999`);

    expect((await s.api('GET', `/v1/products/${p.id}`, key)).body).toMatchObject({ inventory_remaining: 3 });
    const r = await s.api('POST', `/v1/orders/${refunded}/refunds`, key, { restock: true });
    expect(r).toMatchObject({ status: 201, body: { status: 'succeeded', amount: 1800 } });
    expect(await replyText(second.id, 'refunded')).toBe(`Order ${refunded} for Blue Mug was refunded ($18.00).`);
    expect((await s.api('GET', `/v1/orders/${refunded}`, key)).body).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
    expect((await s.api('GET', `/v1/products/${p.id}`, key)).body).toMatchObject({ inventory_remaining: 4 });
    // Stripe's charge.refunded comes back through the webhook and changes nothing more.
    await s.stripe.webhooksIdle();
    expect((await s.api('GET', `/v1/orders/${refunded}`, key)).body).toMatchObject({ status: 'refunded', amount_refunded: 1800 });
  });
});
