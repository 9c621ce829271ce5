import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import request from 'supertest';
import type { Express } from 'express';
import { startStripeEmulator, type StripeEmulator } from '../../../emulators/stripe';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { testConfig } from '../../support/app';
import { recordResponses, type RecordedResponse } from '../../support/openapi-recorder';
import { createLogger } from '../../../src/logger';
import { createRuntime, type Runtime } from '../../../src/runtime';
import { createApp } from '../../../src/http/app';
import { pipelineMounts } from '../../../src/http/mounts';
import { stripeEventsProcessor } from '../../../workers/stripe-events';

export const WEBHOOK_SECRET = 'whsec_connecttest0123456789';
/** Stripe signs Connect events with the Connect endpoint's own secret. */
export const CONNECT_WEBHOOK_SECRET = 'whsec_connectendpoint0123456789';
const X_ENV = { X_BEARER_TOKEN: 'b', X_API_KEY: 'k', X_API_SECRET: 's', X_ACCESS_TOKEN: '1-t', X_ACCESS_SECRET: 'a', X_CLIENT_ID: 'c' };

export interface ConnectKit {
  emu: StripeEmulator;
  /** stripe-node on the emulator, to look at what the service asked Stripe for. */
  stripe: Stripe;
  rt: Runtime;
  app: Express;
  /** Where the service listens: the emulator's webhooks and the onboarding pages' redirects reach it here. */
  base: string;
  admin: string;
  recorded: RecordedResponse[];
  createMerchant(name: string): Promise<{ id: string; apiKey: string }>;
  /** Submits Stripe's hosted onboarding form as the merchant would: `finish`, or `later` (requirements stay due). */
  submitOnboarding(url: string, action: 'finish' | 'later'): Promise<Response>;
  /** Waits for the emulator's webhooks and applies the stored events, as the worker would. */
  processStripeEvents(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The API and the Stripe event processor against real PostgreSQL and Redis and the Stripe emulator
 * (through stripe-node), listening on a real port so Stripe's webhooks and redirects reach it.
 */
export async function startConnectKit(env: Record<string, string> = {}, opts: { liveMode?: boolean } = {}): Promise<ConnectKit> {
  const emu = await startStripeEmulator({ webhookRetryBaseMs: 50 });
  const database: TestDatabase = await createTestDatabase();
  let handler: http.RequestListener = (_req, res) => void res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({
    DATABASE_URL: database.url, PUBLIC_BASE_URL: base,
    STRIPE_SECRET_KEY: 'sk_test_connect', STRIPE_API_BASE: emu.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_WEBHOOK_SECRET,
    PLATFORM_FEE_BPS: '290', PLATFORM_FEE_FIXED: 'usd:30, eur:25, jpy:0',
    ...X_ENV, ...env,
  });
  // The service runs in live mode (a live key: live merchant keys and live rules), but the emulator,
  // like Stripe's test mode, only takes test keys: the adapter talks to it with one.
  const rt = createRuntime(opts.liveMode ? { ...config, STRIPE_SECRET_KEY: 'sk_test_connect' } : config, createLogger('silent'), database.url, 'test');
  const { app, recorded } = recordResponses(createApp({ config, db: rt.db, redis: rt.redis, log: rt.log, ...pipelineMounts(rt) }));
  handler = app;
  emu.addWebhookEndpoint({ url: `${base}/webhooks/stripe`, secret: WEBHOOK_SECRET, enabled_events: ['account.updated'] });
  const processor = stripeEventsProcessor({ db: rt.db, charging: rt.charging, buyers: rt.buyers, payments: rt.payments, queues: rt.queues, log: rt.log });
  const stripe = new Stripe('sk_test_connect', { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });

  return {
    emu, stripe, rt, app, base, admin: config.ADMIN_TOKEN, recorded,
    async createMerchant(name) {
      const res = await request(app).post('/v1/merchants').set('Authorization', `Bearer ${config.ADMIN_TOKEN}`).send({ name }).expect(201);
      return { id: res.body.id, apiKey: res.body.api_key };
    },
    submitOnboarding: (url, action) =>
      fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=${action}` }),
    async processStripeEvents() {
      await emu.webhooksIdle();
      const jobs = await rt.queues.stripeEvents.getJobs(['waiting', 'prioritized', 'delayed']);
      const types: string[] = [];
      for (const job of jobs.reverse()) {
        types.push((await processor(job)).type);
        await job.remove();
      }
      return types;
    },
    async close() {
      await rt.queues.stripeEvents.obliterate({ force: true });
      await rt.close();
      await new Promise<void>((r) => server.close(() => r()));
      await emu.close();
      await database.drop();
    },
  };
}
