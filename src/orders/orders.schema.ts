import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { MAX_UNIX_SECONDS } from '../http/time';
import { idParam, listOf, problemResponses } from '../http/openapi-helpers';

export const ORDER_STATUSES = [
  'awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'reserved', 'charging', 'requires_action', 'paid', 'failed',
  'expired', 'sold_out', 'canceled', 'refunded', 'partially_refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const REPLY_STATUSES = ['none', 'pending', 'posted', 'refused', 'failed'] as const;

const unixTime = z.coerce.number().int('must be unix seconds').min(0, 'must be unix seconds').max(MAX_UNIX_SECONDS, 'must be at most 253402300799 (year 9999)');

export const listOrdersQuery = z.strictObject({
  ...listQuery,
  status: z.enum(ORDER_STATUSES).optional(),
  product: z.string().regex(/^prod_[A-Za-z0-9]+$/, 'must be a product id').optional(),
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
    quantity: z.number().int(),
    amount: z.number().int().meta({ description: 'Total in minor units' }),
    currency: z.string(),
    tweet_id: z.string().meta({ description: 'The post that made the order' }),
    buyer_x_user_id: z.string(),
    buyer_x_username: z.string().nullable().meta({ description: 'Handle when the post arrived (informational; the id is the identity)' }),
    reply_status: z.enum(REPLY_STATUSES),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    payment_intent: z.string().nullable(),
    amount_refunded: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .meta({ id: 'Order' });

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
}
