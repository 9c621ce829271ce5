import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { idParam, jsonBody, problemResponses } from '../http/openapi-helpers';

export const pauseBody = z.strictObject({
  replies: z.boolean().default(false)
    .meta({ description: 'Answer each buyer who posts while paused, once per pause, that the sale is paused and their post is kept' }),
});

export const resumeBody = z.strictObject({
  recorded_posts: z.enum(['process', 'close']).meta({
    description: "What becomes of the purchase posts recorded while paused: 'process' puts them through the normal pipeline " +
      "in post order (each exactly once: earlier posts get the units first); 'close' records them as ignored (reason closed_after_pause), with no order and no reply",
  }),
});

export const salePause = z
  .object({
    object: z.literal('sale_pause'),
    scope: z.enum(['product', 'operator']),
    product: z.string().nullable().meta({ description: 'The product (null for the operator-wide switch)' }),
    paused: z.boolean(),
    paused_at: z.number().int().nullable().meta({ description: 'Unix seconds; null when not paused' }),
    replies: z.boolean(),
    recorded_posts: z.number().int().meta({ description: 'Purchase posts recorded while paused and not yet processed or closed' }),
    resumed_posts: z.object({ action: z.enum(['process', 'close']), count: z.number().int() }).optional()
      .meta({ description: 'On resume: what was done with the recorded posts, and how many' }),
  })
  .meta({ id: 'SalePause' });

export function registerPausePaths(r: OpenAPIRegistry): void {
  const tags = ['Pause'];
  const ok = (description: string) => ({ 200: { description, content: { 'application/json': { schema: salePause } } } });
  r.registerPath({
    method: 'post', path: '/v1/products/{id}/pause', tags, security: [{ apiKey: [] }],
    summary: 'Pause a sale: purchase posts are recorded with the outcome paused (nothing lost), nothing is sold',
    request: { params: idParam('prod'), body: jsonBody(pauseBody) },
    responses: { ...ok('The pause'), ...problemResponses(400, 401, 404, 422, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/products/{id}/resume', tags, security: [{ apiKey: [] }],
    summary: 'Resume a paused sale, processing the recorded posts in post order or closing them',
    request: { params: idParam('prod'), body: jsonBody(resumeBody) },
    responses: { ...ok('Resumed'), ...problemResponses(400, 401, 404, 409, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/products/{id}/pause', tags, security: [{ apiKey: [] }], summary: "A product's pause state",
    request: { params: idParam('prod') },
    responses: { ...ok('The pause state'), ...problemResponses(401, 404, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/operator/pause', tags, security: [{ adminToken: [] }],
    summary: 'Operator: pause every sale at once (a maintenance switch); posts are recorded as for a product pause',
    request: { body: jsonBody(pauseBody) },
    responses: { ...ok('The pause'), ...problemResponses(400, 401, 422, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/operator/resume', tags, security: [{ adminToken: [] }],
    summary: 'Operator: lift the pause, processing the posts it recorded in post order or closing them',
    request: { body: jsonBody(resumeBody) },
    responses: { ...ok('Resumed'), ...problemResponses(400, 401, 409, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/operator/pause', tags, security: [{ adminToken: [] }], summary: 'Operator: the pause state',
    responses: { ...ok('The pause state'), ...problemResponses(401, 429) },
  });
}
