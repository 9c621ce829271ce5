import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { plainText } from '../http/text';
import { listOf, problemResponses, jsonBody, idParam } from '../http/openapi-helpers';

export const createMerchantBody = z.strictObject({
  name: plainText(z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters')),
});

export const createKeyBody = z.strictObject({});

export const listMerchantsQuery = z.strictObject({ ...listQuery });

export const accountRequirements = z
  .object({
    currently_due: z.array(z.string()).meta({ description: 'What Stripe needs now before charges or payouts are (or stay) enabled' }),
    eventually_due: z.array(z.string()),
    past_due: z.array(z.string()),
    disabled_reason: z.string().nullable().meta({ description: "Why Stripe disabled the account's charges or payouts, if it did" }),
    current_deadline: z.number().int().nullable().meta({ description: 'Unix seconds by which currently_due must be given' }),
  })
  .meta({ id: 'AccountRequirements' });

export const platformFeeRule = z
  .object({
    bps: z.number().int().meta({ description: 'Basis points of each sale (290 = 2.9 %), rounded to the nearest minor unit, halves up' }),
    fixed: z.record(z.string(), z.number().int()).meta({ description: 'Fixed part per currency in minor units; a currency not listed has none', example: { usd: 30, eur: 25, jpy: 0 } }),
    source: z.enum(['platform', 'merchant']).meta({ description: "`platform`: PLATFORM_FEE_BPS / PLATFORM_FEE_FIXED; `merchant`: the operator's override for this merchant" }),
  })
  .meta({ id: 'PlatformFeeRule' });

export const merchant = z
  .object({
    id: z.string().meta({ example: 'mer_4Bq9Zt2cW1xYk8LmN0pQ' }),
    object: z.literal('merchant'),
    name: z.string(),
    created: z.number().int(),
    stripe_account: z.string().nullable().meta({ description: "The merchant's Stripe Express connected account, created by its first onboarding link", example: 'acct_1Nv0FGQ9RKHgCVdK' }),
    charges_enabled: z.boolean().meta({ description: 'Stripe lets the account take charges: sales are paid out to it, less the platform fee. Needed to sell in live mode' }),
    payouts_enabled: z.boolean().meta({ description: 'Stripe pays the account out to its bank' }),
    details_submitted: z.boolean(),
    requirements: accountRequirements,
    platform_fee: platformFeeRule,
  })
  .meta({ id: 'Merchant' });

export const merchantWithKey = merchant
  .extend({
    api_key: z.string().nullable().meta({
      description: 'Shown once; store it now. Only a hash is kept. Null when this answer is a replay (Idempotent-Replayed: true): issue a new key and revoke api_key_id.',
      example: 'hck_test_9sX2...',
    }),
    api_key_id: z.string(),
  })
  .meta({ id: 'MerchantWithKey' });

export const apiKey = z
  .object({
    id: z.string().meta({ example: 'key_7fQ2...' }),
    object: z.literal('api_key'),
    merchant: z.string(),
    mode: z.enum(['test', 'live']),
    hint: z.string().meta({ description: 'Prefix and last four characters, to tell keys apart' }),
    created: z.number().int(),
    revoked: z.number().int().nullable().meta({ description: 'When it was revoked (unix seconds), or null' }),
  })
  .meta({ id: 'ApiKey' });

export const apiKeyWithSecret = apiKey
  .extend({
    secret: z.string().nullable().meta({
      description: 'The key itself; shown once. Null when this answer is a replay (Idempotent-Replayed: true): issue another key and revoke this one.',
    }),
  })
  .meta({ id: 'ApiKeyWithSecret' });

export function registerMerchantPaths(r: OpenAPIRegistry): void {
  const admin = [{ adminToken: [] }];
  r.registerPath({
    method: 'post', path: '/v1/merchants', tags: ['Operator'], summary: 'Create a merchant and its first API key',
    security: admin, request: { body: jsonBody(createMerchantBody) },
    responses: { 201: { description: 'Created; the API key is shown only here', content: { 'application/json': { schema: merchantWithKey } } }, ...problemResponses(400, 401, 409, 413, 415, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/merchants', tags: ['Operator'], summary: 'List merchants, newest first', security: admin,
    request: { query: listMerchantsQuery },
    responses: { 200: { description: 'A page of merchants', content: { 'application/json': { schema: listOf(merchant, 'MerchantList') } } }, ...problemResponses(400, 401, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/merchants/{id}', tags: ['Operator'], summary: 'Retrieve a merchant', security: admin,
    request: { params: idParam('mer') },
    responses: { 200: { description: 'The merchant', content: { 'application/json': { schema: merchant } } }, ...problemResponses(401, 404, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/merchants/{id}/api_keys', tags: ['Operator'], summary: 'Issue another API key', security: admin,
    request: { params: idParam('mer') },
    responses: { 201: { description: 'The new key; the secret is shown only here', content: { 'application/json': { schema: apiKeyWithSecret } } }, ...problemResponses(400, 401, 404, 409, 415, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/merchants/{id}/api_keys', tags: ['Operator'], summary: "List a merchant's API keys", security: admin,
    request: { params: idParam('mer'), query: listMerchantsQuery },
    responses: { 200: { description: 'A page of keys', content: { 'application/json': { schema: listOf(apiKey, 'ApiKeyList') } } }, ...problemResponses(400, 401, 404, 429) },
  });
  r.registerPath({
    method: 'delete', path: '/v1/merchants/{id}/api_keys/{key_id}', tags: ['Operator'], summary: 'Revoke an API key (takes effect at once)', security: admin,
    request: { params: idParam('mer').extend({ key_id: z.string() }) },
    responses: { 200: { description: 'The revoked key', content: { 'application/json': { schema: apiKey } } }, ...problemResponses(401, 404, 429) },
  });
}
