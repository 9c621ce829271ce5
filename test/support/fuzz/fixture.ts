import crypto from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { readmeErrorCodes } from '../error-codes';
import type { FuzzTarget } from './run';
import type { Operation } from './spec';

/**
 * Two merchants (a request may carry the other one's key), a product and the keys' ids, made
 * through the API itself so the same set-up works in-process and against a running service.
 */
export async function prepareTarget(app: Express | string, adminToken: string): Promise<FuzzTarget> {
  const admin = `Bearer ${adminToken}`;
  const merchant = async (name: string) => {
    const res = await request(app as Express).post('/v1/merchants').set('Authorization', admin).send({ name }).expect(201);
    return { id: res.body.id as string, key: res.body.api_key as string };
  };
  const a = await merchant('Fuzz A');
  const b = await merchant('Fuzz B');
  const product = async (name: string) => {
    const hashtag = `BuyFuzz${crypto.randomBytes(4).toString('hex')}`;
    const res = await request(app as Express).post('/v1/products').set('Authorization', `Bearer ${a.key}`)
      .send({ name, hashtag, unit_amount: 1800, currency: 'usd', metadata: { color: 'blue' } }).expect(201);
    return res.body.id as string;
  };
  const products = [await product('Fuzz Mug'), await product('Fuzz Cup')];
  // A spare key: requests may revoke it by id, while the key the fuzz sends stays valid.
  const spare = await request(app as Express).post(`/v1/merchants/${a.id}/api_keys`).set('Authorization', admin).send({}).expect(201);
  return {
    app, adminToken, merchantKey: a.key, otherMerchantKey: b.key,
    ids: { mer: [a.id, b.id], prod: products, key: [spare.body.id as string] },
    documentedCodes: readmeErrorCodes(),
  };
}

/**
 * What createApp serves on its own: the sandbox and the Stripe webhook need the pipeline's mounts,
 * and onboarding links need Stripe itself (test/integration/connect covers them against the emulator).
 */
export const servedInProcess = (op: Operation): boolean =>
  !op.template.startsWith('/v1/sandbox') && !op.template.startsWith('/webhooks/') && !op.template.endsWith('/onboarding_link');

/**
 * The fuzz sends many wrong credentials from one address on purpose; with the production limits
 * the client would be locked out after ten and every later request would be a 429 that reaches
 * nothing. The limiter itself is tested in credentials.test.ts.
 */
export const FUZZ_ENV = { AUTH_FAILURES_PER_IP: '1000000', AUTH_FAILURES_PER_CREDENTIAL: '1000000' };
