import Stripe from 'stripe';
import request from 'supertest';
import type { Express } from 'express';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { recordResponses, conformanceProblems, type RecordedResponse } from '../../support/openapi-recorder';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';

const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };
let database: TestDatabase;
let emu: StripeEmulator;
let stripe: Stripe;
let rt: Runtime;
let app: Express;
let recorded: RecordedResponse[];

beforeAll(async () => {
  database = await createTestDatabase();
  emu = await startStripeEmulator();
  stripe = new Stripe('sk_test_sandbox', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
  const config = testConfig({ DATABASE_URL: database.url, STRIPE_SECRET_KEY: 'sk_test_sandbox', STRIPE_API_BASE: emu.url, ...X_ENV });
  rt = createRuntime(config, createLogger('silent'), database.url, 'test');
  ({ app, recorded } = recordResponses(createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) })));
});
afterAll(async () => {
  for (const q of Object.values(rt.queues)) await q.obliterate({ force: true });
  await rt.close();
  await emu.close();
  await database.drop();
});

const sandboxBuyer = (body: Record<string, unknown>) => request(app).post('/v1/sandbox/buyers').set('Authorization', `Bearer ${rt.config.ADMIN_TOKEN}`).send(body);
const stored = async (xUserId: string) => (await rt.db.query('SELECT shipping, stripe_customer_id FROM buyers WHERE x_user_id = $1', [xUserId])).rows[0];

describe('POST /v1/sandbox/buyers with a shipping address', () => {
  it('stores the address as the address page does: on the Stripe customer and for orders, the state as its code', async () => {
    const res = await sandboxBuyer({
      x_user_id: '7001', x_username: 'shipper',
      shipping: { name: 'Ada Shipper', line1: '1 Market St', city: 'San Francisco', state: 'California', postal_code: '94105', country: 'US' },
    }).expect(201);
    expect(res.body).toMatchObject({ object: 'buyer', x_user_id: '7001', card: { brand: 'visa', last4: '4242' }, has_shipping_address: true });
    const buyer = await stored('7001');
    expect(buyer.shipping).toEqual({ name: 'Ada Shipper', phone: null, line1: '1 Market St', line2: null, city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' });
    const customer = (await stripe.customers.retrieve(buyer.stripe_customer_id)) as Stripe.Customer;
    expect(customer.shipping).toMatchObject({ name: 'Ada Shipper', address: { line1: '1 Market St', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' } });
  });

  it('refuses an address the page would refuse, field by field, and stores nothing', async () => {
    const res = await sandboxBuyer({ x_user_id: '7002', shipping: { name: 'No State', line1: '2 Main St', city: 'Austin', country: 'US' } }).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'shipping.state', message: expect.stringContaining('United States') }] });
    const unknown = await sandboxBuyer({ x_user_id: '7002', shipping: { name: 'X', line1: 'Y', city: 'Z', country: 'QQ' } }).expect(400);
    expect(unknown.body.errors).toEqual([{ field: 'shipping.country', message: 'Choose a country from the list.' }]);
    await sandboxBuyer({ x_user_id: '7002', shipping: { name: 'X', line1: 'Y', city: 'Z', country: 'FR', color: 'red' } }).expect(400);
    expect(await stored('7002')).toBeUndefined();
  });

  it('still links a buyer without an address', async () => {
    const res = await sandboxBuyer({ x_user_id: '7003' }).expect(201);
    expect(res.body.has_shipping_address).toBe(false);
    expect((await stored('7003')).shipping).toBeNull();
  });

  it('responses conform to openapi.yaml', () => {
    expect(conformanceProblems(recorded)).toEqual([]);
  });
});
