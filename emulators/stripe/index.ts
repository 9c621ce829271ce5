import http from 'node:http';
import { listenOn } from '../../src/net';
import { createStripeEmulatorApp } from './server';
import { parseFault, type Fault } from './faults';
import type { Logger } from './context';
import type { DeliveryRecord } from './webhooks';
import type { Account, CheckoutSession, Customer, PaymentIntent, Payout } from './store';
import { release } from './ledger';
import { payOutAvailable } from './connect-money';

export { createStripeEmulatorApp } from './server';
export type { AppOptions, EmulatorApp } from './server';
export type { DeliveryRecord } from './webhooks';
export type { Fault } from './faults';
export { TEST_CARDS } from './cards';

export interface StripeEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base URL for hosted Checkout pages; default http://host:port. */
  publicUrl?: string;
  /** Requests per second across the account; 0 (default) is unlimited. Stripe allows 25 in test mode, 100 live. */
  opsPerSecond?: number;
  /** Endpoints present from the start; they survive reset. A secret is generated when absent. */
  webhookEndpoints?: Array<{ url: string; secret?: string; enabled_events?: string[] }>;
  /** First retry delay for failed webhook deliveries (doubles each attempt); default 1000. */
  webhookRetryBaseMs?: number;
  /** Attempts before a delivery is given up; default 8. */
  webhookMaxAttempts?: number;
  /** Per-delivery timeout; default 10000. */
  webhookTimeoutMs?: number;
  logger?: Logger;
}

export interface StripeEmulator {
  url: string;
  host: string;
  port: number;
  publicUrl: string;
  close(): Promise<void>;
  addWebhookEndpoint(endpoint: { url: string; secret?: string; enabled_events?: string[] }): { id: string; secret: string };
  removeWebhookEndpoint(id: string): boolean;
  /** Drops all state except the configured webhook endpoints. */
  reset(): void;
  setOpsPerSecond(ops: number): void;
  injectFault(fault: { latency_ms?: number; status?: number; drop?: boolean; count?: number; path?: string; method?: string; should_retry?: boolean }): Fault;
  clearFaults(): void;
  paymentIntents(): PaymentIntent[];
  customers(): Customer[];
  checkoutSessions(): CheckoutSession[];
  /** Connected accounts. */
  accounts(): Account[];
  /** Pending balance becomes available, for one connected account ('platform' for the platform) or for all. */
  releaseBalance(account?: string): void;
  /** The automatic daily payout: pays out the account's (or, without one, the platform's) available balance, per currency. */
  payOut(account?: string): Payout[];
  webhookDeliveries(): DeliveryRecord[];
  /** Resolves when no webhook delivery is queued, in flight or waiting to retry. */
  webhooksIdle(): Promise<void>;
}

export async function startStripeEmulator(opts: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = opts.host ?? '127.0.0.1';
  let publicUrl = opts.publicUrl?.replace(/\/$/, '') ?? '';
  const emu = createStripeEmulatorApp({
    publicUrl: () => publicUrl,
    opsPerSecond: opts.opsPerSecond,
    webhookEndpoints: opts.webhookEndpoints,
    webhookRetryBaseMs: opts.webhookRetryBaseMs,
    webhookMaxAttempts: opts.webhookMaxAttempts,
    webhookTimeoutMs: opts.webhookTimeoutMs,
    logger: opts.logger,
  });
  const server = http.createServer(emu.app);
  // Clients (stripe-node, the benchmark) hold sockets open; keep them longer than their own idle timeouts.
  server.keepAliveTimeout = 65_000;
  const port = await listenOn(server, opts.port, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!publicUrl) publicUrl = url;
  opts.logger?.info({ url }, 'stripe emulator listening');

  return {
    url,
    host,
    port,
    publicUrl,
    close: async () => {
      emu.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    addWebhookEndpoint: (e) => {
      const endpoint = emu.dispatcher.addEndpoint(e);
      return { id: endpoint.id, secret: endpoint.secret ?? '' };
    },
    removeWebhookEndpoint: (id) => emu.dispatcher.deleteEndpoint(id),
    reset: emu.reset,
    setOpsPerSecond: (ops) => {
      emu.limiter.opsPerSecond = ops;
    },
    injectFault: (f) => {
      const fault = parseFault(f as Record<string, unknown>);
      if (typeof fault === 'string') throw new Error(fault);
      emu.faults.add(fault);
      return fault;
    },
    clearFaults: () => emu.faults.clear(),
    paymentIntents: () => Array.from(emu.ctx.store.paymentIntents.values()),
    customers: () => Array.from(emu.ctx.store.customers.values()),
    checkoutSessions: () => Array.from(emu.ctx.store.checkoutSessions.values()),
    accounts: () => Array.from(emu.ctx.store.accounts.values()),
    releaseBalance: (account) => release(emu.ctx, account),
    payOut: (account) => payOutAvailable(emu.ctx, account ?? null),
    webhookDeliveries: () => emu.dispatcher.deliveries(),
    webhooksIdle: () => emu.dispatcher.idle(),
  };
}
