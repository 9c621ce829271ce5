import { registerRefundPaths } from '../refunds/refunds.schema';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { stringify } from 'yaml';
import { z } from 'zod';
import { registerMerchantPaths } from '../merchants/merchants.schema';
import { registerConnectPaths } from '../merchants/connect.schema';
import { registerProductPaths } from '../products/products.schema';
import { registerOrderPaths } from '../orders/orders.schema';
import { registerSandboxPaths } from '../sandbox/sandbox.routes';
import { registerWebhookPaths } from '../webhooks/webhooks.schema';
import { registerEventPaths } from '../events/events.schema';
import { registerEndpointPaths } from '../webhooks/endpoints.schema';
import { registerBlocklistPaths } from '../controls/blocklist.schema';
import { registerPausePaths } from '../controls/pause.schema';
import { registerReportPaths } from '../reports/reports.schema';
import { registerReviewPaths } from '../review/review.schema';

/** Extra path registrations from later features (webhooks, sandbox) add themselves here. */
export const pathRegistrations: Array<(r: OpenAPIRegistry) => void> = [registerMerchantPaths, registerConnectPaths, registerProductPaths, registerOrderPaths, registerRefundPaths, registerSandboxPaths, registerWebhookPaths, registerEventPaths, registerEndpointPaths, registerBlocklistPaths, registerPausePaths, registerReportPaths, registerReviewPaths];

function registerOps(r: OpenAPIRegistry): void {
  r.registerPath({
    method: 'get', path: '/healthz', tags: ['Operations'], summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
  });
  const readiness = z.object({ status: z.enum(['ready', 'unavailable']), checks: z.object({ postgres: z.string(), redis: z.string() }) }).meta({ id: 'Readiness' });
  r.registerPath({
    method: 'get', path: '/readyz', tags: ['Operations'], summary: 'Readiness: PostgreSQL and Redis answer',
    responses: {
      200: { description: 'Ready', content: { 'application/json': { schema: readiness } } },
      503: { description: 'A dependency is unavailable', content: { 'application/json': { schema: readiness } } },
    },
  });
}

export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const r = new OpenAPIRegistry();
  r.registerComponent('securitySchemes', 'apiKey', {
    type: 'http', scheme: 'bearer', description: 'A merchant API key: hck_test_... or hck_live_...',
  });
  r.registerComponent('securitySchemes', 'adminToken', {
    type: 'http', scheme: 'bearer', description: 'The operator token (ADMIN_TOKEN)',
  });
  registerOps(r);
  for (const reg of pathRegistrations) reg(r);
  return new OpenApiGeneratorV31(r.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Hashtag Checkout API',
      version: '1.0.0',
      description:
        'Merchants register products with a purchase hashtag; buyers buy by posting it on X. ' +
        'Every POST accepts an Idempotency-Key header (Stripe semantics: same key and body replay the first response; ' +
        'same key with another body is 422; a replay never reveals a secret: a new API key is answered as null). ' +
        'Failed authentication is limited per client address and per credential (429 too_many_auth_failures). Errors are RFC 9457 application/problem+json with a stable `code`. ' +
        'Lists are cursor-paginated with `limit` (1-100) and `starting_after`.',
    },
    servers: [{ url: 'http://localhost:3000', description: 'npm start' }],
  });
}

export function openApiYaml(): string {
  return `# Generated from the zod schemas by "npm run openapi"; do not edit by hand.\n${stringify(buildOpenApiDocument(), { aliasDuplicateObjects: false })}`;
}
