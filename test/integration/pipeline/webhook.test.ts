import Stripe from 'stripe';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { recordResponses, conformanceProblems, type RecordedResponse } from '../../support/openapi-recorder';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';
import type { Express } from 'express';

const SECRET = 'whsec_webhooktest0123456789';
const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
let database: TestDatabase;
let rt: Runtime;
let app: Express;
let recorded: RecordedResponse[];

beforeAll(async () => {
  database = await createTestDatabase();
  // A live-shaped config: no emulator base URL, so the sandbox endpoints must refuse.
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_webhooks', STRIPE_WEBHOOK_SECRET: SECRET, ...X_ENV });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  ({ app, recorded } = recordResponses(createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) })));
});
afterAll(async () => {
  await rt.queues.stripeEvents.obliterate({ force: true });
  await rt.close();
  await database.drop();
});

function signed(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  return { payload, header: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
}

describe('POST /webhooks/stripe', () => {
  const event = { id: 'evt_test_1', object: 'event', type: 'payment_intent.succeeded', created: 1_800_000_000, data: { object: { id: 'pi_1', object: 'payment_intent', metadata: {} } } };

  it('refuses a missing or wrong signature with 400 and stores nothing', async () => {
    const { payload } = signed(event);
    const missing = await request(app).post('/webhooks/stripe').set('Content-Type', 'application/json').send(payload).expect(400);
    expect(missing.body.code).toBe('signature_missing');
    const forged = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' });
    const bad = await request(app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', forged).send(payload).expect(400);
    expect(bad.body.code).toBe('signature_invalid');
    const { header } = signed(event);
    await request(app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload.replace('pi_1', 'pi_2')).expect(400);
    expect((await rt.db.query('SELECT count(*)::int AS n FROM stripe_events')).rows[0].n).toBe(0);
  });

  it('stores a verified event once and enqueues it once, however often it is delivered', async () => {
    for (let i = 0; i < 3; i++) {
      const { payload, header } = signed(event);
      const res = await request(app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload).expect(200);
      expect(res.body).toEqual({ received: true });
    }
    const { rows } = await rt.db.query('SELECT id, type FROM stripe_events');
    expect(rows).toEqual([{ id: 'evt_test_1', type: 'payment_intent.succeeded' }]);
    expect(await rt.queues.stripeEvents.count()).toBe(1);
  });

  it('acknowledges event types it does not act on', async () => {
    const { payload, header } = signed({ ...event, id: 'evt_test_2', type: 'customer.created' });
    await request(app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload).expect(200);
    expect((await rt.db.query(`SELECT 1 FROM stripe_events WHERE id = 'evt_test_2'`)).rowCount).toBe(0);
  });

  it('refuses the sandbox endpoints when Stripe is not the emulator', async () => {
    const res = await request(app).post('/v1/sandbox/buyers').set('Authorization', `Bearer ${rt.config.ADMIN_TOKEN}`).send({ x_user_id: '1' }).expect(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(recorded)).toEqual([]);
  });
});
