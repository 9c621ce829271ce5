import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

/**
 * `npm run demo`: the whole story against a service running in sandbox mode (`npm start` with no
 * Stripe or X credentials), over HTTP only: the service's REST API with the operator token, and
 * the emulators' control APIs to play the buyers on X.
 */
const env = process.env;
const BASE = (env.DEMO_BASE_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/$/, '');
const STRIPE = `http://127.0.0.1:${env.STRIPE_EMULATOR_PORT ?? 12111}`;
const X = `http://127.0.0.1:${env.X_EMULATOR_PORT ?? 12112}`;
const SHOP = (env.X_SHOP_USERNAME ?? 'shop').replace(/^@/, '');
const REPLY_WAIT_MS = Number(env.DEMO_TIMEOUT_MS ?? 30_000);

class DemoError extends Error {}
const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (n: number, title: string) => say(`\n${n}. ${title}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function operatorToken(): string {
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  const file = path.resolve(env.DATA_DIR ?? './data', 'admin-token');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new DemoError(`No operator token: set ADMIN_TOKEN, or run the service once so it writes ${file}.`);
  }
}

async function call<T>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw Object.assign(new DemoError(`${method} ${url}: ${(err as Error).message}`), { unreachable: true });
  }
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function expectStatus<T>(what: string, p: Promise<{ status: number; body: T }>, status: number): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new DemoError(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Refuses to play unless this is a sandbox: the emulators answer and the service accepts sandbox buyers. */
async function preflight(token: string): Promise<void> {
  const ready = await call<{ status: string }>('GET', `${BASE}/readyz`).catch(() => null);
  if (!ready) throw new DemoError(`The service is not running at ${BASE}. Start it in sandbox mode with \`npm start\` (no Stripe or X credentials), or set DEMO_BASE_URL.`);
  if (ready.status !== 200) throw new DemoError(`The service at ${BASE} is not ready: ${JSON.stringify(ready.body)}`);
  const emulators = await Promise.all([call('GET', `${STRIPE}/_emulator`).catch(() => null), call('GET', `${X}/_emulator/health`).catch(() => null)]);
  if (emulators.some((e) => e?.status !== 200)) {
    throw new DemoError(`The service at ${BASE} is not in sandbox mode: no Stripe/X emulators at ${STRIPE} and ${X}. The demo never talks to real Stripe or X; start the service with no Stripe or X credentials.`);
  }
  const probe = await call('POST', `${BASE}/v1/sandbox/buyers`, {}, token);
  if (probe.status === 401) throw new DemoError(`The operator token was refused by ${BASE} (set ADMIN_TOKEN to the service's token).`);
  if (probe.status === 403) throw new DemoError(`The service at ${BASE} is not in sandbox mode (its sandbox endpoints are off).`);
}

interface Post { id: string; text: string }

async function xUser(username: string): Promise<{ id: string; username: string }> {
  return expectStatus(`create X user @${username}`, call('POST', `${X}/_emulator/users`, { username, name: username }), 201);
}

async function postOnX(author: { id: string; username: string }, text: string): Promise<Post> {
  const { data } = await expectStatus<{ data: Post }>('post on X', call('POST', `${X}/_emulator/tweets`, { author_id: author.id, text }), 201);
  say(`   @${author.username} posts: "${text}"`);
  return data;
}

async function replyTo(post: Post, match?: RegExp): Promise<Post> {
  const until = Date.now() + REPLY_WAIT_MS;
  while (Date.now() < until) {
    const { body } = await call<{ data: Post[] }>('GET', `${X}/_emulator/tweets?in_reply_to_tweet_id=${post.id}`);
    const reply = body.data.find((r) => !match || match.test(r.text));
    if (reply) {
      say(`   @${SHOP} replies:  "${reply.text}"`);
      return reply;
    }
    await sleep(250);
  }
  throw new DemoError(`No reply to post ${post.id} within ${REPLY_WAIT_MS / 1000} s: are the worker and ingest running? (see ${BASE}/admin/queues)`);
}

async function waitForRule(tag: string): Promise<void> {
  const until = Date.now() + REPLY_WAIT_MS;
  while (Date.now() < until) {
    const { body } = await call<{ data: Array<{ value: string }> }>('GET', `${X}/_emulator/rules`);
    if (body.data.some((r) => r.value.toLowerCase().includes(`#${tag.toLowerCase()}`))) return;
    await sleep(250);
  }
  throw new DemoError(`The ingest never added a stream rule for #${tag}: is the ingest role running?`);
}

async function main(): Promise<void> {
  const token = operatorToken();
  await preflight(token);
  const run = crypto.randomBytes(2).toString('hex');
  const tag = `BuyDemoMug${run}`;
  say(`Hashtag Checkout demo against ${BASE} (sandbox: Stripe ${STRIPE}, X ${X})`);

  step(1, 'A merchant signs up and lists a product with a purchase hashtag');
  const merchant = await expectStatus<{ id: string; api_key: string }>('create merchant', call('POST', `${BASE}/v1/merchants`, { name: `Demo Mugs ${run}` }, token), 201);
  say(`   merchant ${merchant.id} (API key ${merchant.api_key.slice(0, 12)}…)`);
  const product = await expectStatus<{ id: string; hashtag: string; inventory_remaining: number }>('create product', call('POST', `${BASE}/v1/products`, {
    // Not shipped: the demo's sandbox buyers have no address (README, "Buyer onboarding", shows that step).
    name: 'Demo Mug', hashtag: tag, unit_amount: 1800, currency: 'usd', inventory: 2, shipping: 'none', waitlist: false,
  }, merchant.api_key), 201);
  say(`   product ${product.id}: Demo Mug, $18.00, #${tag}, 2 in stock`);
  await waitForRule(tag);
  say(`   the ingest now follows #${tag} on X`);

  step(2, 'A buyer the shop has never seen posts the hashtag');
  const stranger = await xUser(`newbie_${run}`);
  const link = await replyTo(await postOnX(stranger, `@${SHOP} #${tag}`));
  if (!/\/link\//.test(link.text)) throw new DemoError('expected a signup link in the reply');
  say('   → no card on file: a one-time signup link, and the order waits for the buyer (no stock held)');

  step(3, 'A buyer with a linked card posts the hashtag');
  const alice = await xUser(`alice_${run}`);
  await expectStatus('link a test card', call('POST', `${BASE}/v1/sandbox/buyers`, { x_user_id: alice.id, x_username: alice.username, payment_method: 'pm_card_visa' }, token), 201);
  say(`   @${alice.username} linked a Visa (sandbox card pm_card_visa)`);
  const receipt = await replyTo(await postOnX(alice, `@${SHOP} #${tag} for my desk`));
  if (!/^Paid/.test(receipt.text)) throw new DemoError(`expected a receipt, got: ${receipt.text}`);
  const intents = (await call<{ data: Array<{ status: string; amount: number; metadata?: Record<string, string> }> }>('GET', `${STRIPE}/_emulator/payment_intents`)).body.data;
  const paid = intents.filter((pi) => pi.status === 'succeeded' && receipt.text.includes(pi.metadata?.order_id ?? '\u0000'));
  say(`   → charged off-session: ${paid.length} succeeded payment intent of $${((paid[0]?.amount ?? 0) / 100).toFixed(2)}; receipt posted`);

  step(4, 'A buyer whose card is declined');
  const dave = await xUser(`dave_${run}`);
  await expectStatus('link a declining card', call('POST', `${BASE}/v1/sandbox/buyers`, { x_user_id: dave.id, x_username: dave.username, payment_method: 'pm_card_chargeCustomerFail' }, token), 201);
  say(`   @${dave.username} linked a card the bank will decline (sandbox card pm_card_chargeCustomerFail)`);
  await replyTo(await postOnX(dave, `@${SHOP} #${tag}`), /declin/i);
  say('   → the order failed, its unit went back on the shelf, and the buyer got a link to update the card');

  step(5, 'The last unit goes, and the next buyer hears it is sold out');
  const erin = await xUser(`erin_${run}`);
  const frank = await xUser(`frank_${run}`);
  for (const b of [erin, frank]) {
    await expectStatus('link a test card', call('POST', `${BASE}/v1/sandbox/buyers`, { x_user_id: b.id, x_username: b.username, payment_method: 'pm_card_visa' }, token), 201);
  }
  await replyTo(await postOnX(erin, `@${SHOP} #${tag}`), /^Paid/);
  say('   → the last mug is sold');
  await replyTo(await postOnX(frank, `@${SHOP} #${tag}`), /sold out/i);
  const left = await expectStatus<{ inventory_remaining: number }>('read product', call('GET', `${BASE}/v1/products/${product.id}`, undefined, merchant.api_key), 200);
  say(`   → sold out: ${left.inventory_remaining} left, no charge for @${frank.username}`);

  say('\nDone. Watch the jobs behind each step in the queue UI:');
  say(`   ${BASE}/admin/queues   (sign in with the operator token${env.ADMIN_TOKEN ? ', ADMIN_TOKEN' : ` from ${path.resolve(env.DATA_DIR ?? './data', 'admin-token')}`})`);
}

main().catch((err) => {
  process.stderr.write(`\ndemo failed: ${err instanceof DemoError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
});
