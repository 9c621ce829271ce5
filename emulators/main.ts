import { startStripeEmulator } from './stripe';
import { startXEmulator } from './x';

/**
 * `npm run emulators`: both emulators standalone, for a service started separately (its
 * STRIPE_API_BASE / X_API_BASE pointing here). Loopback only unless EMULATOR_HOST says otherwise.
 */
async function main(): Promise<void> {
  const host = process.env.EMULATOR_HOST ?? '127.0.0.1';
  const stripePort = Number(process.env.STRIPE_EMULATOR_PORT ?? 12111);
  const xPort = Number(process.env.X_EMULATOR_PORT ?? 12112);
  const webhookUrl = process.env.STRIPE_WEBHOOK_URL;
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  const log = { info: () => undefined, warn: (...a: unknown[]) => console.warn(...a), error: (...a: unknown[]) => console.error(...a) };
  const stripe = await startStripeEmulator({
    host, port: stripePort, publicUrl: process.env.STRIPE_EMULATOR_PUBLIC_URL, opsPerSecond: Number(process.env.STRIPE_EMULATOR_OPS_PER_SECOND ?? 0),
    webhookEndpoints: webhookUrl ? [{ url: webhookUrl, secret: webhookSecret, enabled_events: ['*'] }] : [], logger: log,
  });
  const x = await startXEmulator({
    host, port: xPort, publicUrl: process.env.X_EMULATOR_PUBLIC_URL, logger: log,
    consumerKey: process.env.X_API_KEY, consumerSecret: process.env.X_API_SECRET,
  });
  const shopName = process.env.X_SHOP_USERNAME ?? 'shop';
  const shop = x.createUser({ username: shopName, name: 'Shop' });
  console.log(`Stripe emulator  ${stripe.url}${webhookUrl ? `  (webhooks → ${webhookUrl})` : ''}`);
  console.log(`X emulator       ${x.url}  (shop @${shop.username}, id ${shop.id})`);
  console.log(`Shop credentials for the service: POST ${x.url}/_emulator/users/${shop.id}/oauth1`);
  const stop = async () => {
    await Promise.all([stripe.close(), x.close()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(`emulators failed to start: ${(err as Error).message}`);
  process.exit(1);
});
