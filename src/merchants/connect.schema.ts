import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { idParam, jsonBody, listOf, problemResponses } from '../http/openapi-helpers';
import { isCurrency, MAX_FEE_BPS, MAX_FIXED_FEE } from './platform-fee';
import { merchant } from './merchants.schema';

export const onboardingLinkBody = z.strictObject({});

const feeCurrency = z
  .string()
  .regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 currency code')
  .refine(isCurrency, 'is not an ISO 4217 currency');

export const platformFeeOverride = z
  .strictObject({
    bps: z.number().int('must be a whole number of basis points').min(0, `must be between 0 and ${MAX_FEE_BPS}`).max(MAX_FEE_BPS, `must be between 0 and ${MAX_FEE_BPS}`).nullable().optional()
      .meta({ description: "Basis points of each sale; null or absent: the platform's PLATFORM_FEE_BPS" }),
    fixed: z.record(feeCurrency, z.number().int('must be a whole number of minor units').min(0, 'must not be negative').max(MAX_FIXED_FEE, `must be at most ${MAX_FIXED_FEE}`))
      .refine((m) => Object.keys(m).length <= 200, 'may list at most 200 currencies')
      .nullable().optional()
      .meta({ description: "Fixed part per currency in minor units (replaces the platform's whole list; a currency not listed has none); null or absent: the platform's PLATFORM_FEE_FIXED", example: { usd: 30, jpy: 0 } }),
  })
  .meta({ id: 'PlatformFeeOverride' });

export const updateMerchantBody = z.strictObject({
  platform_fee: platformFeeOverride.nullable().meta({ description: "This merchant's fee rule; null goes back to the platform's" }),
});

const payoutId = z.string().regex(/^po_[A-Za-z0-9]{1,64}$/, 'must be a payout id (po_...)');
export const listPayoutsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').default(10),
  starting_after: payoutId.optional().meta({ description: 'The last payout id of the previous page' }),
});

export const onboardingLink = z
  .object({
    object: z.literal('onboarding_link'),
    url: z.string().meta({ description: "Stripe's hosted onboarding; open it once, soon (it expires in minutes). Create another when it has", example: 'https://connect.stripe.com/setup/e/acct_1Nv0FGQ9RKHgCVdK/Xu7ZQ2' }),
    expires_at: z.number().int().meta({ description: 'Unix seconds' }),
    account: z.string().meta({ description: "The merchant's connected account", example: 'acct_1Nv0FGQ9RKHgCVdK' }),
  })
  .meta({ id: 'OnboardingLink' });

const money = z.object({ amount: z.number().int().meta({ description: 'Minor units' }), currency: z.string() });
export const balance = z
  .object({
    object: z.literal('balance'),
    account: z.string(),
    available: z.array(money).meta({ description: 'Paid out with the next payout' }),
    pending: z.array(money).meta({ description: 'Not yet available (card payments settle after a few days)' }),
  })
  .meta({ id: 'Balance' });

export const payout = z
  .object({
    id: z.string().meta({ example: 'po_1OaFDbEcg9tTZuTg' }),
    object: z.literal('payout'),
    amount: z.number().int(),
    currency: z.string(),
    status: z.string().meta({ description: 'paid, pending, in_transit, canceled or failed' }),
    arrival_date: z.number().int().meta({ description: 'Unix seconds: when the money is expected in the bank' }),
    created: z.number().int(),
    method: z.string(),
    description: z.string().nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
  })
  .meta({ id: 'Payout' });

export function registerConnectPaths(r: OpenAPIRegistry): void {
  const admin = [{ adminToken: [] }];
  const key = [{ apiKey: [] }];
  const linkResponse = { 201: { description: 'A fresh Stripe Account Link; the connected account is created on first use', content: { 'application/json': { schema: onboardingLink } } } };
  r.registerPath({
    method: 'post', path: '/v1/merchants/{id}/onboarding_link', tags: ['Operator'], summary: "A Stripe onboarding link for a merchant's payouts", security: admin,
    request: { params: idParam('mer') },
    responses: { ...linkResponse, ...problemResponses(401, 404, 409, 422, 429, 502, 503) },
  });
  r.registerPath({
    method: 'patch', path: '/v1/merchants/{id}', tags: ['Operator'], summary: "Set or clear a merchant's platform fee override", security: admin,
    request: { params: idParam('mer'), body: jsonBody(updateMerchantBody) },
    responses: { 200: { description: 'The merchant', content: { 'application/json': { schema: merchant } } }, ...problemResponses(401, 404, 409, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/account', tags: ['Payouts'], summary: "The calling merchant, with its Stripe account's state", security: key,
    responses: { 200: { description: 'The merchant', content: { 'application/json': { schema: merchant } } }, ...problemResponses(401, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/account/onboarding_link', tags: ['Payouts'], summary: 'A Stripe onboarding link, to get paid', security: key,
    responses: { ...linkResponse, ...problemResponses(401, 409, 422, 429, 502, 503) },
  });
  r.registerPath({
    method: 'get', path: '/v1/balance', tags: ['Payouts'], summary: "The connected account's balance (sales less fees, before payout)", security: key,
    responses: { 200: { description: 'Available and pending amounts per currency', content: { 'application/json': { schema: balance } } }, ...problemResponses(401, 409, 429, 502, 503) },
  });
  r.registerPath({
    method: 'get', path: '/v1/payouts', tags: ['Payouts'], summary: "The connected account's payouts to its bank, newest first", security: key,
    request: { query: listPayoutsQuery },
    responses: { 200: { description: 'A page of payouts', content: { 'application/json': { schema: listOf(payout, 'PayoutList') } } }, ...problemResponses(401, 409, 429, 502, 503) },
  });
}
