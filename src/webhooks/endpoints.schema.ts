import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { listQuery } from '../http/pagination';
import { idParam, jsonBody, listOf, problem, problemResponses } from '../http/openapi-helpers';
import { EVENT_TYPES } from '../events/catalogue';
import { event } from '../events/events.schema';

export const MAX_ENDPOINTS_PER_MERCHANT = 16;
const MAX_PREVIOUS_SECRET_S = 7 * 24 * 3600;

const url = z.string().max(2048, 'must be at most 2048 characters').meta({ example: 'https://shop.example/hooks/hashtag-checkout' });
const enabledEvents = z
  .array(z.enum(['*', ...EVENT_TYPES]))
  .min(1, 'must list at least one event type (or "*")')
  .max(EVENT_TYPES.length + 1)
  .meta({ description: 'Event types to receive; `*` for every type, including types added later' });
const description = z.string().max(500, 'must be at most 500 characters').nullable();

export const createEndpointBody = z.strictObject({ url, enabled_events: enabledEvents, description: description.optional() });
export const updateEndpointBody = z.strictObject({
  url: url.optional(),
  enabled_events: enabledEvents.optional(),
  description: description.optional(),
  disabled: z.boolean().optional().meta({ description: 'true pauses deliveries; false re-enables (and clears disabled_reason)' }),
});
export const rollSecretBody = z.strictObject({
  previous_secret_expires_in: z
    .number()
    .int()
    .min(0, 'must be between 0 and 604800 seconds')
    .max(MAX_PREVIOUS_SECRET_S, 'must be between 0 and 604800 seconds')
    .default(0)
    .meta({ description: 'Seconds during which the old secret still signs too (a second v1); 0 = stops now' }),
});
export const listEndpointsQuery = z.strictObject({ ...listQuery });

export const webhookEndpoint = z
  .object({
    id: z.string().meta({ example: 'we_4Bq9Zt2cW1xYk8LmN0pQ' }),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()),
    disabled: z.boolean(),
    disabled_reason: z.string().nullable().meta({ description: 'Why the service disabled it (deliveries failing for the whole retry window); null when enabled or disabled by you' }),
    previous_secret_expires: z.number().int().nullable().meta({ description: 'Until when the rolled-over secret still signs (unix seconds)' }),
    secret: z.string().nullable().optional().meta({ description: 'The signing secret (whsec_...): only in the response that created or rolled it; null in an idempotent replay of that request, absent elsewhere' }),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const deletedEndpoint = z
  .object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) })
  .meta({ id: 'DeletedWebhookEndpoint' });

export const webhookDelivery = z
  .object({
    id: z.string().meta({ example: 'wd_4Bq9Zt2cW1xYk8LmN0pQ' }),
    object: z.literal('webhook_delivery'),
    endpoint: z.string(),
    event: z.string(),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']).meta({ description: '`failed`: given up after the retry window' }),
    attempts: z.number().int(),
    response_status_code: z.number().int().nullable(),
    latency_ms: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_attempt: z.number().int().nullable(),
    next_retry: z.number().int().nullable(),
    created: z.number().int(),
  })
  .meta({ id: 'WebhookDelivery' });

export function registerEndpointPaths(r: OpenAPIRegistry): void {
  const sec = [{ apiKey: [] }];
  const tags = ['Webhook endpoints'];
  const ok = (description: string, schema: z.ZodType = webhookEndpoint) => ({ description, content: { 'application/json': { schema } } });
  const withId = { params: idParam('we') };
  const refused = { description: 'The URL is not allowed (not https, or resolves to a loopback, private or other special-use address)', content: { 'application/problem+json': { schema: problem } } };
  r.registerPath({
    method: 'post', path: '/v1/webhook_endpoints', tags, security: sec, summary: 'Create a webhook endpoint (the response shows its signing secret, once)',
    request: { body: jsonBody(createEndpointBody) },
    responses: { 201: ok('The endpoint, with its secret'), ...problemResponses(400, 401, 409, 429), 422: refused },
  });
  r.registerPath({
    method: 'get', path: '/v1/webhook_endpoints', tags, security: sec, summary: 'List your webhook endpoints, newest first',
    request: { query: listEndpointsQuery },
    responses: { 200: ok('A page of endpoints', listOf(webhookEndpoint, 'WebhookEndpointList')), ...problemResponses(400, 401, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/webhook_endpoints/{id}', tags, security: sec, summary: 'Retrieve a webhook endpoint', request: withId,
    responses: { 200: ok('The endpoint'), ...problemResponses(401, 404, 429) },
  });
  r.registerPath({
    method: 'patch', path: '/v1/webhook_endpoints/{id}', tags, security: sec, summary: 'Update a webhook endpoint',
    request: { ...withId, body: jsonBody(updateEndpointBody) },
    responses: { 200: ok('The endpoint'), ...problemResponses(400, 401, 404, 429), 422: refused },
  });
  r.registerPath({
    method: 'delete', path: '/v1/webhook_endpoints/{id}', tags, security: sec, summary: 'Delete a webhook endpoint (pending deliveries are dropped)', request: withId,
    responses: { 200: ok('Deleted', deletedEndpoint), ...problemResponses(401, 404, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/webhook_endpoints/{id}/roll_secret', tags, security: sec, summary: 'Replace the signing secret (the response shows the new one, once)',
    request: { ...withId, body: { required: false, content: { 'application/json': { schema: rollSecretBody } } } },
    responses: { 200: ok('The endpoint, with its new secret'), ...problemResponses(400, 401, 404, 409, 422, 429) },
  });
  r.registerPath({
    method: 'get', path: '/v1/webhook_endpoints/{id}/deliveries', tags, security: sec, summary: "The endpoint's deliveries, newest first",
    request: { ...withId, query: listEndpointsQuery },
    responses: { 200: ok('A page of deliveries', listOf(webhookDelivery, 'WebhookDeliveryList')), ...problemResponses(400, 401, 404, 429) },
  });
  r.registerPath({
    method: 'post', path: '/v1/webhook_endpoints/{id}/deliveries/{delivery_id}/retry', tags, security: sec, summary: 'Send a delivery again now (also one that was given up)',
    request: { params: z.object({ id: z.string(), delivery_id: z.string() }) },
    responses: { 200: ok('The delivery, scheduled now', webhookDelivery), ...problemResponses(400, 401, 404, 409, 422, 429) },
  });
  r.registerWebhook({
    method: 'post', path: 'event', tags: ['Events'],
    summary: 'An event, POSTed to each enabled endpoint subscribed to its type',
    description: 'Signed with header `Hashtag-Checkout-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (several v1 during a secret roll). Answer 2xx within 10 s; anything else is retried with exponential back-off for 3 days.',
    request: {
      headers: z.object({ 'hashtag-checkout-signature': z.string() }),
      body: { required: true, content: { 'application/json': { schema: event } } },
    },
    responses: { 200: { description: 'Any 2xx acknowledges the event' } },
  });
}
