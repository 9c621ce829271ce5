import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import vm from 'node:vm';
import request from 'supertest';
import type { Express } from 'express';
import { withTransaction, type Db } from '../../../src/db/pool';
import { newId } from '../../../src/ids';
import { placeOrder } from '../../../src/orders/orders.store';
import { markOrderPaid } from '../../../src/orders/charges.store';

/** A product through the API, so its row is what a merchant would have made. */
export async function createProduct(app: Express, apiKey: string, hashtag: string, inventory: number | null = 10): Promise<string> {
  const res = await request(app).post('/v1/products').set('Authorization', `Bearer ${apiKey}`)
    .send({ name: `Mug ${hashtag}`, hashtag, unit_amount: 1800, currency: 'usd', ...(inventory === null ? {} : { inventory }) }).expect(201);
  return res.body.id;
}

let tweet = 1_000_000;
/** An order placed by the purchase pipeline's own statement (as matching a post does). */
export async function placeTestOrder(db: Db, merchantId: string, productId: string): Promise<{ id: string; status: string }> {
  const tweetId = String(++tweet);
  const order = await withTransaction(db, (tx) =>
    placeOrder(tx, {
      id: newId('ord'), merchantId, productId, tweetId, chainId: tweetId, buyerXUserId: '4242', buyerXUsername: 'alice', buyerId: null,
      quantity: 1, amount: 1800, currency: 'usd',
    }, { id: newId('rep'), text: 'sold out' }));
  return order!;
}

export async function payTestOrder(db: Db, orderId: string): Promise<void> {
  await markOrderPaid(db, orderId, `pi_${orderId.slice(4)}`, { id: newId('rep'), text: 'receipt' });
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A merchant's receiver on 127.0.0.1: answers with the next status from `plan`, then 200. */
export interface Receiver {
  url: string;
  received: Received[];
  plan: number[];
  /** Bodies this answers 500 to, whatever the plan. */
  refuse: { when?: (body: string) => boolean; hangMs?: number };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const plan: number[] = [];
  const refuse: Receiver['refuse'] = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body });
      res.statusCode = refuse.when?.(body) ? 500 : plan.length ? plan.shift()! : 200;
      if (refuse.hangMs) setTimeout(() => res.end('late'), refuse.hangMs);
      else res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, received, plan, refuse, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The README's verification snippet, run as a reader would save and require it. */
export function readmeVerifier(): (rawBody: Buffer | string, header: string, secret: string, toleranceSeconds?: number) => { id: string; type: string; data: { object: Record<string, unknown> } } {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  const block = /<!-- webhook-verify-snippet[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no webhook verification snippet');
  const module = { exports: {} as Record<string, unknown> };
  vm.runInNewContext(block[1]!, { require, module, exports: module.exports, Buffer, Date, Number, String, JSON, Math });
  return module.exports.verifyWebhook as ReturnType<typeof readmeVerifier>;
}

export async function until<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
