import { eventually, startStack, type Stack } from '../support/stack';
import { readmeVerifier, startReceiver, type Receiver } from '../integration/webhooks/helpers';

jest.setTimeout(120_000);

let s: Stack;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  s = await startStack();
  await s.start('api');
  await s.start('worker');
  await s.start('ingest');
});
afterAll(async () => {
  await s?.close();
  await receiver?.close();
});

describe('merchant webhooks, end to end (api, worker and ingest processes)', () => {
  it('a buyer posting makes the worker POST a signed order.paid to the merchant, which the README snippet verifies', async () => {
    const key = (await s.createMerchant('Hook Co')).apiKey;
    const endpoint = await s.api<{ id: string; secret: string }>('POST', '/v1/webhook_endpoints', key, { url: receiver.url, enabled_events: ['order.paid'] });
    expect(endpoint.status).toBe(201);
    await s.createProduct(key, { name: 'Hook Mug', hashtag: 'BuyHookMug', unit_amount: 1800, currency: 'usd', inventory: 5 });
    await eventually(() => s.x.rules().some((r) => r.value.toLowerCase().includes('#buyhookmug')), 15_000, 'a rule for the hashtag');
    const dana = await s.buyer('dana');
    const post = s.post({ author_id: dana.id, text: '@shop #BuyHookMug' });

    const got = await eventually(() => receiver.received[0], 20_000, 'the webhook');
    const event = readmeVerifier()(got.body, String(got.headers['hashtag-checkout-signature']), endpoint.body.secret);
    expect(event.type).toBe('order.paid');
    expect(event.data.object).toMatchObject({ object: 'order', status: 'paid', tweet_id: post.id, buyer_x_user_id: dana.id, amount: 1800 });
    const deliveries = await eventually(async () => {
      const r = await s.api<{ data: Array<{ status: string }> }>('GET', `/v1/webhook_endpoints/${endpoint.body.id}/deliveries`, key);
      return r.body.data[0]?.status === 'succeeded' && r.body.data;
    }, 10_000, 'the delivery recorded as succeeded');
    expect(deliveries).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    // The worker logs the delivery by ids only: never the secret, nor the URL (it may carry a token).
    const logs = [...s.procs.values()].map((p) => p.output()).join('\n');
    expect(logs).toContain('webhook delivered');
    expect(logs).not.toContain(endpoint.body.secret);
    expect(logs).not.toContain(receiver.url);
  });
});
