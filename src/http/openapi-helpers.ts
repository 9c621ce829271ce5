import { z } from 'zod';

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable machine-readable error code' }),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: malformed JSON, unknown fields or failed validation',
  401: 'Missing, invalid or revoked credentials',
  402: 'The card was refused by Stripe',
  403: 'Not allowed',
  404: 'No such resource, or it belongs to another merchant',
  409: 'Conflict with the current state',
  413: 'Body larger than 100 kB',
  415: 'Body is not application/json',
  422: 'Idempotency-Key reused with a different request',
  429: 'Rate limited; see Retry-After',
  500: 'Unexpected server error; the body carries a request id to quote',
  502: 'Stripe refused the request; the detail carries its code',
  503: 'A dependency is unavailable',
};

/**
 * 400 (a request Express cannot even route, e.g. bad percent-encoding) and 500 can happen anywhere;
 * 413 and 415 too, since every /v1 request's body (even a GET's) is read as JSON or refused.
 */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    [...new Set([400, ...statuses, 413, 415, 500])].sort().map((s) => [s, { description: STATUS_TEXT[s] ?? 'Error', content: { 'application/problem+json': { schema: problem } } }]),
  );
}

export function jsonBody<S extends z.ZodType>(schema: S) {
  return { required: true, content: { 'application/json': { schema } } };
}

export function listOf<S extends z.ZodType>(item: S, id: string) {
  return z
    .object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean(), url: z.string() })
    .meta({ id });
}

export function idParam(prefix: string) {
  return z.object({ id: z.string().meta({ example: `${prefix}_4Bq9Zt2cW1xYk8LmN0pQ` }) });
}
