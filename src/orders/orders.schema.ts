import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { MAX_UNIX_SECONDS } from '../http/time';
import { idParam, jsonBody, listOf, problemResponses } from '../http/openapi-helpers';
import { plainText } from '../http/text';
import { ORDER_STATUSES } from './lifecycle';
import { orderVariant } from '../variants/variants.schema';

export { ORDER_STATUSES, type OrderStatus } from './lifecycle';

export const REPLY_STATUSES = ['none', 'pending', 'posted', 'refused', 'failed', 'aggregated'] as const;

const unixTime = z.coerce.number().int('must be unix seconds').min(0, 'must be unix seconds').max(MAX_UNIX_SECONDS, 'must be at most 253402300799 (year 9999)');

export const listOrdersQuery = z.strictObject({
  ...listQuery,
  status: z.enum(ORDER_STATUSES).optional(),
  product: z.string().regex(/^prod_[A-Za-z0-9]+$/, 'must be a product id').optional(),
  variant: z.string().regex(/^var_[A-Za-z0-9]+$/, 'must be a variant id').optional().meta({ description: 'Only orders of this variant' }),
  'created[gte]': unixTime.optional(),
  'created[gt]': unixTime.optional(),
  'created[lte]': unixTime.optional(),
  'created[lt]': unixTime.optional(),
});

export const order = z
  .object({
    id: z.string().meta({ example: 'ord_2mX9...' }),
    object: z.literal('order'),
    status: z.enum(ORDER_STATUSES),
    product: z.string(),
    variant: orderVariant,
    quantity: z.number().int(),
    amount: z.number().int().meta({ description: 'Total in minor units' }),
    currency: z.string(),
    tweet_id: z.string().meta({ description: 'The post that made the order' }),
    buyer_x_user_id: z.string(),
    buyer_x_username: z.string().nullable().meta({ description: 'Handle when the post arrived (informational; the id is the identity)' }),
    reply_status: z.enum(REPLY_STATUSES).meta({
      description: 'The reply to the buyer on X: `aggregated` when a public notice of the shop covered it (sold-out and waitlist notices, when X\'s budget could not post them one by one)',
    }),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    payment_intent: z.string().nullable(),
    amount_refunded: z.number().int(),
    transfer_destination: z.string().nullable().meta({ description: "The merchant's Stripe account the charge pays (a destination charge); null while not charged, or when it stayed on the platform (a merchant not onboarded, outside live mode)" }),
    application_fee_amount: z.number().int().nullable().meta({ description: "The platform's fee on this sale in minor units; the merchant gets amount − fee. Null when there is no destination" }),
    transfer: z.string().nullable().meta({ description: "Stripe's transfer to the merchant's account, once known" }),
    fulfillment_status: z.enum(['unfulfilled', 'fulfilled']).meta({ description: 'Kept apart from `status` (the payment status)' }),
    fulfillment: z
      .object({
        carrier: z.string().nullable(),
        tracking_number: z.string().nullable(),
        tracking_url: z.string().nullable(),
        fulfilled: z.number().int().meta({ description: 'Unix seconds' }),
      })
      .nullable()
      .meta({ description: 'What the merchant said when it shipped the order; null until then' }),
    shipping: z
      .object({
        name: z.string(),
        phone: z.string().nullable(),
        line1: z.string(),
        line2: z.string().nullable(),
        city: z.string(),
        state: z.string().nullable().meta({ description: 'ISO 3166-2 subdivision code without the country prefix' }),
        postal_code: z.string().nullable(),
        country: z.string().meta({ description: 'ISO 3166-1 alpha-2' }),
      })
      .nullable()
      .meta({ description: 'Where to ship: the address the buyer had when the order was charged (products with `shipping: required`); null otherwise. Never in public replies or logs' }),
    review: z
      .object({
        reasons: z.array(z.string()).meta({ description: 'The review rules that held it: new_account, few_followers, frequent_buyer, large_amount, account_facts_unavailable' }),
        expires: z.number().int().nullable().meta({ description: 'Unix seconds when the review window closes (null once decided)' }),
      })
      .nullable()
      .meta({ description: 'Set when a review rule held the order (status in_review until approved or rejected)' }),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .meta({ id: 'Order' });

/**
 * A tracking link is posted by the shop account in its reply to the buyer, so it must be one
 * plain https URL (no credentials, no spaces): anything else could dress up as another link.
 */
const trackingUrl = z
  .url({ protocol: /^https$/, hostname: z.regexes.domain, error: 'must be an https URL' })
  .max(500, 'must be at most 500 characters')
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), 'must not carry credentials')
  .refine((u) => !/\s/.test(u), 'must not contain spaces');

export const createFulfillmentBody = z.strictObject({
  carrier: plainText(z.string().trim().min(1, 'must not be empty').max(50, 'must be at most 50 characters')).optional(),
  tracking_number: plainText(z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')).optional(),
  tracking_url: trackingUrl.optional(),
});
export type CreateFulfillment = z.infer<typeof createFulfillmentBody>;

export const cancelOrderBody = z.strictObject({});

export function registerOrderPaths(r: OpenAPIRegistry): void {
  const sec = [{ apiKey: [] }];
  r.registerPath({
    method: 'get', path: '/v1/orders', tags: ['Orders'], summary: 'List your orders, newest first', security: sec,
    request: { query: listOrdersQuery },
    responses: { 200: { description: 'A page of orders', content: { 'application/json': { schema: listOf(order, 'OrderList') } } }, ...problemResponses(400, 401, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/orders/{id}', tags: ['Orders'], summary: 'Retrieve an order', security: sec,
    request: { params: idParam('ord') },
    responses: { 200: { description: 'The order', content: { 'application/json': { schema: order } } }, ...problemResponses(401, 404, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/orders/{id}/fulfillments', tags: ['Orders'], security: sec,
    summary: 'Mark a paid order shipped; the buyer gets an "on its way" reply (with the https tracking link, if given)',
    request: { params: idParam('ord'), body: jsonBody(createFulfillmentBody) },
    responses: {
      200: { description: 'The order, now fulfilled', content: { 'application/json': { schema: order } } },
      ...problemResponses(400, 401, 404, 409, 413, 415, 422, 429),
    },
  });
  r.registerPath({
    method: 'post', path: '/v1/orders/{id}/cancel', tags: ['Orders'], security: sec,
    summary: 'Cancel an order that is not paid yet: its units are freed and the buyer is told',
    request: { params: idParam('ord'), body: jsonBody(cancelOrderBody) },
    responses: {
      200: { description: 'The order, now canceled', content: { 'application/json': { schema: order } } },
      ...problemResponses(400, 401, 404, 409, 413, 415, 422, 429),
    },
  });
}
