import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStripeEmulator } from '../emulators/stripe';
import { startXEmulator } from '../emulators/x';
import { STRIPE_EVENTS_HANDLED } from '../src/webhooks/stripe.routes';

/**
 * Bench child process: both emulators plus a small stats server, so their CPU is not counted
 * against the bench driver and the bench can see HTTP statuses the emulators do not count.
 * Env: BENCH_WEBHOOK_URL, BENCH_WEBHOOK_SECRET, BENCH_X_CONSUMER_KEY/SECRET, BENCH_REAL_LIMITS=1.
 * Prints one JSON line ({stripeUrl, xUrl, statsUrl, shop, shopCreds}) once listening.
 */

type Counter = Record<string, number>;
const statuses: Record<string, Counter> = {};
/** PaymentIntent creates answered 2xx/402 per wall-clock second: how Stripe calls are paced. */
const intentsPerSecond: Counter = {};
const portNames = new Map<number, string>();

const origWriteHead = http.ServerResponse.prototype.writeHead;
http.ServerResponse.prototype.writeHead = function patched(this: http.ServerResponse, ...args: unknown[]) {
  const code = Number(args[0]);
  const req = this.req;
  const name = portNames.get(req?.socket?.localPort ?? 0);
  if (name && req) {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith('/_emulator')) {
      // Ids (pi_3Nf..., cus_..., snowflakes) collapse to :id; resource names like payment_intents or /2/ stay.
      const key = `${req.method} ${path.replace(/\/[a-z]{2,8}_(test_)?[A-Za-z0-9]{10,}(?=\/|$)/g, '/:id').replace(/\/\d{5,}(?=\/|$)/g, '/:id')}`;
      const c = (statuses[name] ??= {});
      c[`${key} ${code}`] = (c[`${key} ${code}`] ?? 0) + 1;
      if (name === 'stripe' && key === 'POST /v1/payment_intents' && code !== 429) {
        const s = String(Math.floor(Date.now() / 1000));
        intentsPerSecond[s] = (intentsPerSecond[s] ?? 0) + 1;
      }
    }
  }
  return (origWriteHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
} as typeof origWriteHead;

async function main(): Promise<void> {
  const real = process.env.BENCH_REAL_LIMITS === '1';
  const quiet = { info: () => undefined, warn: () => undefined, error: (...a: unknown[]) => console.error(...a) };
  const webhookUrl = process.env.BENCH_WEBHOOK_URL;
  const stripe = await startStripeEmulator({
    opsPerSecond: 0,
    // Subscribed as the sandbox subscribes: only the events the service acts on.
    webhookEndpoints: webhookUrl ? [{ url: webhookUrl, secret: process.env.BENCH_WEBHOOK_SECRET, enabled_events: [...STRIPE_EVENTS_HANDLED] }] : [],
    webhookRetryBaseMs: 500,
    logger: quiet,
  });
  const x = await startXEmulator({
    consumerKey: process.env.BENCH_X_CONSUMER_KEY,
    consumerSecret: process.env.BENCH_X_CONSUMER_KEY ? process.env.BENCH_X_CONSUMER_SECRET : undefined,
    keepAliveMs: 5000,
    logger: quiet,
    // Off unless real-limits: then X's published limits (the emulator's defaults) apply.
    rateLimits: real
      ? {}
      : { tweets_post: null, tweets_post_app_24h: null, search_recent: null, rules_post: null, rules_get: null, stream_connect: null, users_lookup: null, tweets_lookup: null },
  });
  portNames.set(stripe.port, 'stripe');
  portNames.set(x.port, 'x');
  const shop = x.createUser({ username: 'shop', name: 'The Shop' });
  const shopCreds = x.oauth1Credentials(shop.id);

  const stats = http.createServer((req, res) => {
    const send = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (req.url === '/stats') return send({ statuses, intents_per_second: intentsPerSecond, replies_total: x.tweets({ source: 'api' }).length });
    if (req.url === '/summary') {
      // Succeeded intents per order and shop replies per post, aggregated here to keep the answer small.
      const succeeded: Counter = {};
      let intents = 0;
      for (const pi of stripe.paymentIntents()) {
        intents++;
        if (pi.status !== 'succeeded') continue;
        const order = String(pi.metadata?.order_id ?? '(none)');
        succeeded[order] = (succeeded[order] ?? 0) + 1;
      }
      const replies: Counter = {};
      let repliesTotal = 0;
      for (const p of x.tweets({ source: 'api', author_id: shop.id })) {
        repliesTotal++;
        const to = (p.referenced_tweets as Array<{ type: string; id: string }> | undefined)?.find((r) => r.type === 'replied_to')?.id;
        // A post in reply to nobody is a public notice (several per sale may be right): not a reply twice.
        if (to) replies[to] = (replies[to] ?? 0) + 1;
      }
      return send({ intents_total: intents, succeeded, replies_total: repliesTotal, replies, statuses, intents_per_second: intentsPerSecond });
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
  const statsUrl = `http://127.0.0.1:${(stats.address() as AddressInfo).port}`;
  process.stdout.write(`${JSON.stringify({ stripeUrl: stripe.url, xUrl: x.url, statsUrl, shop: { id: shop.id, username: shop.username }, shopCreds })}\n`);

  const stop = async () => {
    stats.close();
    await Promise.all([stripe.close(), x.close()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(`bench emulators failed: ${(err as Error).stack}`);
  process.exit(1);
});
