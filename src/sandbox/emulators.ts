import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';
import { startXEmulator, type XEmulator } from '../../emulators/x';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { STRIPE_EVENTS_HANDLED } from '../webhooks/stripe.routes';

export interface Sandbox {
  stripe: StripeEmulator;
  x: XEmulator;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Sandbox mode: no Stripe key and no X credentials, so both emulators run in this process and
 * the adapters talk to them exactly as to the real APIs. The newcomer's first run.
 */
export async function startSandbox(config: Config, log: Logger): Promise<Sandbox> {
  const stripe = await startStripeEmulator({ port: config.STRIPE_EMULATOR_PORT, webhookRetryBaseMs: 500 });
  const x = await startXEmulator({ port: config.X_EMULATOR_PORT, rateLimits: { tweets_post: null }, keepAliveMs: 20_000 });
  const shop = x.users().find((u) => u.username.toLowerCase() === config.X_SHOP_USERNAME.toLowerCase()) ?? x.createUser({ username: config.X_SHOP_USERNAME, name: 'Shop' });
  const creds = x.oauth1Credentials(shop.id);
  const webhook = stripe.addWebhookEndpoint({ url: `http://127.0.0.1:${config.PORT}/webhooks/stripe`, enabled_events: [...STRIPE_EVENTS_HANDLED] });
  log.info({ stripe: stripe.url, x: x.url, shop: `@${shop.username}` }, 'sandbox: Stripe and X emulators running in-process');
  return {
    stripe,
    x,
    env: {
      STRIPE_SECRET_KEY: 'sk_test_sandbox',
      STRIPE_API_BASE: stripe.url,
      STRIPE_WEBHOOK_SECRET: webhook.secret,
      X_API_BASE: x.url,
      X_BEARER_TOKEN: 'sandbox-app-bearer',
      X_API_KEY: 'sandbox-consumer-key',
      X_API_SECRET: 'sandbox-consumer-secret',
      X_ACCESS_TOKEN: creds.access_token,
      X_ACCESS_SECRET: creds.access_token_secret,
      X_CLIENT_ID: 'sandbox-client',
    },
    async stop() {
      await Promise.all([stripe.close(), x.close()]);
    },
  };
}
