import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { idParam, jsonBody, problemResponses } from '../http/openapi-helpers';
import { plainText } from '../http/text';
import { order } from '../orders/orders.schema';
import { reviewRulesSchema } from './review-rules';

const reason = plainText(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'))
  .meta({ description: 'Told to the buyer in the reply (made inert: no mentions, links or hashtags)' });

export const approveBody = z.strictObject({});
export const rejectBody = z.strictObject({ reason: reason.optional() });

const orderIds = z.array(z.string().regex(/^ord_[A-Za-z0-9]{1,64}$/, 'must be order ids'))
  .min(1, 'must list at least one order').max(100, 'may list at most 100 orders')
  .refine((ids) => new Set(ids).size === ids.length, 'must not list an order twice');
export const bulkApproveBody = z.strictObject({ orders: orderIds });
export const bulkRejectBody = z.strictObject({ orders: orderIds, reason: reason.optional() });

export const bulkResult = z
  .object({
    object: z.literal('list'),
    data: z.array(z.object({
      id: z.string(),
      result: z.enum(['approved', 'rejected', 'error']),
      order: order.optional(),
      error: z.object({ status: z.number().int(), code: z.string(), detail: z.string() }).optional()
        .meta({ description: 'Why this order was not decided (e.g. 404 resource_missing, 409 order_not_in_review); the others still were' }),
    })),
  })
  .meta({ id: 'ReviewBulkResult' });

export const reviewRulesView = z
  .object({
    object: z.literal('review_rules'),
    product: z.string().nullable().meta({ description: 'null: your default, for products without rules of their own' }),
    rules: reviewRulesSchema.nullable().meta({ description: 'null: no rules (orders are not held)' }),
  })
  .meta({ id: 'ReviewRulesView' });

export function registerReviewPaths(r: OpenAPIRegistry): void {
  const sec = [{ apiKey: [] }];
  const tags = ['Review queue'];
  const orderOk = (d: string) => ({ 200: { description: d, content: { 'application/json': { schema: order } } } });
  const bulkOk = { 200: { description: 'One result per id, in the order given', content: { 'application/json': { schema: bulkResult } } } };
  r.registerPath({
    method: 'post', path: '/v1/orders/{id}/approve', tags, security: sec, summary: 'Approve an order in_review: it goes on to the charge',
    request: { params: idParam('ord'), body: jsonBody(approveBody) }, responses: { ...orderOk('The order, approved'), ...problemResponses(400, 401, 404, 409, 422, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/orders/{id}/reject', tags, security: sec,
    summary: 'Reject an order in_review: its units are freed, the buyer is told (with your reason, if given); status canceled',
    request: { params: idParam('ord'), body: jsonBody(rejectBody) }, responses: { ...orderOk('The order, rejected'), ...problemResponses(400, 401, 404, 409, 422, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/orders/approve', tags, security: sec, summary: 'Approve many orders in_review (each on its own)',
    request: { body: jsonBody(bulkApproveBody) }, responses: { ...bulkOk, ...problemResponses(400, 401, 422, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/orders/reject', tags, security: sec, summary: 'Reject many orders in_review (each on its own)',
    request: { body: jsonBody(bulkRejectBody) }, responses: { ...bulkOk, ...problemResponses(400, 401, 422, 429) },
  });
  const rulesOk = { 200: { description: 'The rules', content: { 'application/json': { schema: reviewRulesView } } } };
  for (const [path, params, what] of [
    ['/v1/products/{id}/review_rules', idParam('prod'), "a product's review rules (they replace your default for it)"],
    ['/v1/review_rules', undefined, 'your default review rules'],
  ] as const) {
    const request = params ? { params } : {};
    r.registerPath({ method: 'get', path, tags, security: sec, summary: `Read ${what}`, request, responses: { ...rulesOk, ...problemResponses(401, 404, 429) } });
    r.registerPath({
      method: 'put', path, tags, security: sec, summary: `Set ${what}: hold an order for review when any rule matches`,
      request: { ...request, body: jsonBody(reviewRulesSchema) }, responses: { ...rulesOk, ...problemResponses(400, 401, 404, 429) },
    });
    r.registerPath({ method: 'delete', path, tags, security: sec, summary: `Remove ${what}`, request, responses: { ...rulesOk, ...problemResponses(401, 404, 429) } });
  }
}
