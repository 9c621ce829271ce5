import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { idParam, jsonBody, problemResponses } from '../http/openapi-helpers';

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export const createRefundBody = z.strictObject({
  amount: z.number().int('must be an integer (minor units)').min(1, 'must be at least 1').max(99_999_999_999, 'is too large').optional()
    .meta({ description: 'Minor units; default: what remains refundable' }),
  reason: z.enum(REFUND_REASONS).optional(),
  restock: z.boolean().optional().meta({ description: "Put the order's units back in stock (once per order)" }),
});
export type CreateRefund = z.infer<typeof createRefundBody>;

export const refund = z
  .object({
    id: z.string().meta({ example: 're_2mX9...' }),
    object: z.literal('refund'),
    order: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.enum(REFUND_REASONS).nullable(),
    restock: z.boolean(),
    status: z.enum(['pending', 'succeeded', 'failed']).meta({ description: '`failed`: Stripe refused it and no money moved; `failure_reason` says why' }),
    failure_reason: z.string().nullable(),
    stripe_refund: z.string().nullable(),
    created: z.number().int(),
  })
  .meta({ id: 'Refund' });

const refundList = z.object({ object: z.literal('list'), data: z.array(refund), has_more: z.boolean(), url: z.string() }).meta({ id: 'RefundList' });

export function registerRefundPaths(r: OpenAPIRegistry): void {
  const sec = [{ apiKey: [] }];
  r.registerPath({
    method: 'post', path: '/v1/orders/{id}/refunds', tags: ['Orders'], security: sec,
    summary: 'Refund a paid order in full (default) or in part; optionally restock its units',
    request: { params: idParam('ord'), body: jsonBody(createRefundBody) },
    responses: {
      201: { description: 'The refund (status `succeeded`, or `failed` with a reason: no money moved)', content: { 'application/json': { schema: refund } } },
      ...problemResponses(400, 401, 404, 409, 413, 415, 422, 429, 503),
    },
  });
  r.registerPath({
    method: 'get', path: '/v1/orders/{id}/refunds', tags: ['Orders'], summary: "An order's refunds, oldest first", security: sec,
    request: { params: idParam('ord') },
    responses: { 200: { description: 'The refunds', content: { 'application/json': { schema: refundList } } }, ...problemResponses(401, 404, 429) },
  });
}
