import { z } from 'zod';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { problem } from '../http/openapi-helpers';

export function registerWebhookPaths(r: OpenAPIRegistry): void {
  r.registerPath({
    method: 'post', path: '/webhooks/stripe', tags: ['Webhooks'],
    summary: 'Stripe events (signature verified on the raw body; each event stored and applied once)',
    request: {
      headers: z.object({ 'stripe-signature': z.string().meta({ description: 't=<unix>,v1=<hex HMAC-SHA256>' }) }),
      body: { required: true, content: { 'application/json': { schema: z.object({ id: z.string(), type: z.string() }).loose() } } },
    },
    responses: {
      200: { description: 'Stored (or already seen) and queued', content: { 'application/json': { schema: z.object({ received: z.literal(true) }) } } },
      400: { description: 'Missing or invalid signature', content: { 'application/problem+json': { schema: problem } } },
      500: { description: 'Not stored; Stripe retries', content: { 'application/problem+json': { schema: problem } } },
    },
  });
}
