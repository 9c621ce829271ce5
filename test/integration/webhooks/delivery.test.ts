import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { conformanceProblems } from '../../support/openapi-recorder';
import { createLogger } from '../../../src/logger';
import { createSecretBox } from '../../../src/webhooks/secret-box';
import { createDispatcher, startDispatcher, type RetrySchedule } from '../../../src/webhooks/dispatcher';
import { createProduct, payTestOrder, placeTestOrder, readmeVerifier, startReceiver, until } from './helpers';

let t: TestApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const verify = readmeVerifier();
const FAST: RetrySchedule = { baseMs: 20, maxMs: 80, windowMs: 60_000, timeoutMs: 2_000 };

const dispatcher = (schedule: RetrySchedule = FAST, production = false) =>
  createDispatcher({ db: t.db, box: createSecretBox(t.config.SIGNING_SECRET), policy: { production }, log: createLogger('silent'), schedule });

async function merchantWithEndpoint(events: string[], url = receiver.url) {
  const m = await t.createMerchant();
  const auth = `Bearer ${m.apiKey}`;
  const ep = await request(t.app).post('/v1/webhook_endpoints').set('Authorization', auth).send({ url, enabled_events: events }).expect(201);
  return { ...m, auth, endpoint: ep.body.id as string, secret: ep.body.secret as string };
}

beforeAll(async () => {
  t = await startTestApp();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.plan.length = 0;
  receiver.refuse.when = undefined;
  receiver.refuse.hangMs = undefined;
});

describe('merchant webhooks: delivery', () => {
  it('a paused loop sends nothing (matching first, in a flash sale) and sends what waited once resumed', async () => {
    const m = await merchantWithEndpoint(['order.paid']);
    const product = await createProduct(t.app, m.apiKey, 'BuyPausedMug');
    const loop = startDispatcher({ db: t.db, box: createSecretBox(t.config.SIGNING_SECRET), policy: { production: false }, log: createLogger('silent'), schedule: FAST, pollMs: 20 });
    try {
      loop.pause();
      const order = await placeTestOrder(t.db, m.id, product);
      await payTestOrder(t.db, order.id);
      const mine = () => receiver.received.filter((r) => JSON.parse(r.body).data.object.id === order.id);
      await new Promise((r) => setTimeout(r, 300));
      expect(mine()).toHaveLength(0);
      loop.resume();
      await until(async () => mine().length === 1, 'the paid event once resumed');
    } finally {
      await loop.stop();
    }
  });

  it('delivers a signed order.paid, once, that the README snippet verifies, to the subscribed endpoint only', async () => {
    const m = await merchantWithEndpoint(['order.paid']);
    const product = await createProduct(t.app, m.apiKey, 'BuyPaidMug');
    const order = await placeTestOrder(t.db, m.id, product);
    await payTestOrder(t.db, order.id);
    // Two worker processes at once: each event still goes out once.
    await Promise.all([dispatcher().runOnce(), dispatcher().runOnce()]);

    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    const header = String(got!.headers['hashtag-checkout-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = verify(got!.body, header, m.secret);
    expect(event.type).toBe('order.paid');
    expect(event.data.object).toMatchObject({ id: order.id, object: 'order', status: 'paid' });
    // The same snapshot the events API shows.
    const api = await request(t.app).get(`/v1/events/${event.id}`).set('Authorization', m.auth).expect(200);
    expect(api.body).toEqual(JSON.parse(got!.body));

    expect(() => verify(got!.body.replace('"paid"', '"refunded"'), header, m.secret)).toThrow('no signature matches');
    expect(() => verify(got!.body, header, 'whsec_someone_else')).toThrow('no signature matches');
    const stale = header.replace(/^t=\d+/, (x) => `t=${Number(x.slice(2)) - 301}`);
    expect(() => verify(got!.body, stale, m.secret)).toThrow('timestamp outside the tolerance');

    const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
    expect(log.body.data).toEqual([expect.objectContaining({ event: event.id, event_type: 'order.paid', status: 'succeeded', attempts: 1, response_status_code: 200, next_retry: null })]);
    expect(log.body.data[0].latency_ms).toEqual(expect.any(Number));
  });

  it('retries a receiver that fails three times, and the log shows the four attempts', async () => {
    const m = await merchantWithEndpoint(['*']);
    const product = await createProduct(t.app, m.apiKey, 'BuyRetryMug');
    await placeTestOrder(t.db, m.id, product); // order.created only: one event for this endpoint
    receiver.plan.push(500, 503, 404);
    const d = dispatcher();
    const delivered = await until(async () => {
      await d.runOnce();
      const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
      return log.body.data[0]?.status === 'succeeded' && log.body.data[0];
    }, 'the delivery to succeed');
    expect(delivered).toMatchObject({ event_type: 'order.created', attempts: 4, response_status_code: 200, last_error: null, next_retry: null });
    expect(receiver.received).toHaveLength(4);
    // At least once: every attempt carries the same event id and body.
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    const endpoint = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}`).set('Authorization', m.auth).expect(200);
    expect(endpoint.body).toMatchObject({ disabled: false, disabled_reason: null });
  });

  it('schedules the next retry with back-off and shows it while it waits', async () => {
    const m = await merchantWithEndpoint(['order.created']);
    const product = await createProduct(t.app, m.apiKey, 'BuyWaitMug');
    await placeTestOrder(t.db, m.id, product);
    receiver.plan.push(500);
    await dispatcher({ ...FAST, baseMs: 3600_000, maxMs: 3600_000, windowMs: 3 * 86_400_000 }).runOnce();
    const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
    const [row] = log.body.data;
    expect(row).toMatchObject({ status: 'pending', attempts: 1, response_status_code: 500, last_error: 'endpoint answered 500' });
    // Jitter keeps it between half and all of the hour.
    expect(row.next_retry - row.last_attempt).toBeGreaterThanOrEqual(1799);
    expect(row.next_retry - row.last_attempt).toBeLessThanOrEqual(3601);

    // Retrying by hand sends it now.
    const retried = await request(t.app).post(`/v1/webhook_endpoints/${m.endpoint}/deliveries/${row.id}/retry`).set('Authorization', m.auth).expect(200);
    expect(retried.body).toMatchObject({ id: row.id, status: 'pending' });
    await dispatcher().runOnce();
    expect(receiver.received).toHaveLength(2);
    const after = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
    expect(after.body.data[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('gives up after the retry window and disables an endpoint that failed for all of it, saying why', async () => {
    const m = await merchantWithEndpoint(['order.created']);
    const product = await createProduct(t.app, m.apiKey, 'BuyDeadMug');
    await placeTestOrder(t.db, m.id, product);
    receiver.plan.push(...Array(1000).fill(500));
    const d = dispatcher({ ...FAST, windowMs: 400 });
    const endpoint = await until(async () => {
      await d.runOnce();
      const res = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}`).set('Authorization', m.auth).expect(200);
      return res.body.disabled && res.body;
    }, 'the endpoint to be disabled');
    expect(endpoint.disabled_reason).toMatch(/^Disabled after deliveries failed for 400 ms \(none succeeded since \d{4}-\d\d-\d\dT[\d:]+Z\); last error: endpoint answered 500$/);
    const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
    expect(log.body.data[0]).toMatchObject({ status: 'failed', next_retry: null });
    const attempts = receiver.received.length;
    expect(attempts).toBeGreaterThan(1);

    // Disabled: new events are not queued for it, nothing is sent, a retry is refused.
    await placeTestOrder(t.db, m.id, product);
    await d.runOnce();
    expect(receiver.received).toHaveLength(attempts);
    const refused = await request(t.app).post(`/v1/webhook_endpoints/${m.endpoint}/deliveries/${log.body.data[0].id}/retry`).set('Authorization', m.auth).expect(409);
    expect(refused.body.code).toBe('endpoint_disabled');

    // Enabled again by the merchant: the reason is cleared and a retry goes out.
    receiver.plan.length = 0;
    const enabled = await request(t.app).patch(`/v1/webhook_endpoints/${m.endpoint}`).set('Authorization', m.auth).send({ disabled: false }).expect(200);
    expect(enabled.body).toMatchObject({ disabled: false, disabled_reason: null });
    await request(t.app).post(`/v1/webhook_endpoints/${m.endpoint}/deliveries/${log.body.data[0].id}/retry`).set('Authorization', m.auth).expect(200);
    await dispatcher().runOnce();
    expect(receiver.received).toHaveLength(attempts + 1);
  });

  it('gives up on one event a receiver keeps refusing without disabling an endpoint that takes the others', async () => {
    const m = await merchantWithEndpoint(['order.created', 'order.paid']);
    const product = await createProduct(t.app, m.apiKey, 'BuyPickyMug');
    const order = await placeTestOrder(t.db, m.id, product);
    const d = dispatcher({ ...FAST, windowMs: 400 });
    receiver.refuse.when = (body) => body.includes('"order.created"');
    // Both events are out before the first pass: order.paid succeeds within order.created's window,
    // whatever the machine's load (the endpoint is disabled only if nothing succeeded in it).
    await payTestOrder(t.db, order.id);
    await d.runOnce(); // order.created fails, order.paid is delivered
    await until(async () => {
      await d.runOnce();
      const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
      return log.body.data.find((x: { event_type: string; status: string }) => x.event_type === 'order.created' && x.status === 'failed');
    }, 'order.created to be given up');
    // The loop above stops once order.created is given up; order.paid may still be due in a later pass.
    await until(async () => {
      await d.runOnce();
      return receiver.received.some((r) => r.body.includes('"order.paid"'));
    }, 'order.paid to be delivered');
    const endpoint = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}`).set('Authorization', m.auth).expect(200);
    expect(endpoint.body).toMatchObject({ disabled: false, disabled_reason: null });
  });

  it('counts a receiver that does not answer in time as a failed attempt', async () => {
    const m = await merchantWithEndpoint(['order.created']);
    const product = await createProduct(t.app, m.apiKey, 'BuySlowMug');
    await placeTestOrder(t.db, m.id, product);
    receiver.refuse.hangMs = 1_000;
    await dispatcher({ ...FAST, timeoutMs: 200, baseMs: 3600_000, maxMs: 3600_000 }).runOnce();
    const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
    expect(log.body.data[0]).toMatchObject({ status: 'pending', attempts: 1, response_status_code: null, last_error: 'timed out after 200 ms' });
  });

  it('signs with both secrets while a rolled secret is still allowed', async () => {
    const m = await merchantWithEndpoint(['order.created']);
    const rolled = await request(t.app).post(`/v1/webhook_endpoints/${m.endpoint}/roll_secret`).set('Authorization', m.auth).send({ previous_secret_expires_in: 3600 }).expect(200);
    const product = await createProduct(t.app, m.apiKey, 'BuyRollMug');
    await placeTestOrder(t.db, m.id, product);
    await dispatcher().runOnce();
    const [got] = receiver.received;
    const header = String(got!.headers['hashtag-checkout-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verify(got!.body, header, rolled.body.secret).type).toBe('order.created');
    expect(verify(got!.body, header, m.secret).type).toBe('order.created');
  });

  it('checks the URL again at delivery: in production an http or loopback endpoint is never called', async () => {
    const m = await merchantWithEndpoint(['order.created']);
    const product = await createProduct(t.app, m.apiKey, 'BuyProdMug');
    await placeTestOrder(t.db, m.id, product);
    await dispatcher(FAST, true).runOnce();
    expect(receiver.received).toHaveLength(0);
    const log = await request(t.app).get(`/v1/webhook_endpoints/${m.endpoint}/deliveries`).set('Authorization', m.auth).expect(200);
    expect(log.body.data[0]).toMatchObject({ status: 'pending', attempts: 1, response_status_code: null, last_error: 'url must be an https URL' });
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(t.recorded)).toEqual([]);
  });
});
