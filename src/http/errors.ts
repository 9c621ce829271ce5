/**
 * The one error family. Every failure a client can cause is an AppError with a stable code;
 * anything else is a bug and is rendered as a generic 500 (detail only in the log).
 */
export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
  get detail(): string {
    return this.message;
  }
}

export const errors = {
  validation: (detail: string, fieldErrors: FieldError[] = []) =>
    new AppError(400, 'validation_failed', 'Request validation failed', detail, { errors: fieldErrors }),
  unknownFields: (fields: string[]) =>
    new AppError(400, 'unknown_fields', 'Unknown fields in request', `Unknown field(s): ${fields.join(', ')}`, {
      errors: fields.map((f) => ({ field: f, message: 'is not a recognised field' })),
    }),
  malformedJson: (detail: string) => new AppError(400, 'malformed_json', 'Malformed JSON body', detail),
  unauthorized: (detail = 'Provide an API key as "Authorization: Bearer <key>".') =>
    new AppError(401, 'unauthorized', 'Authentication required', detail, {
      headers: { 'WWW-Authenticate': 'Bearer realm="hashtag-checkout"' },
    }),
  wrongKeyMode: (mode: 'test' | 'live') =>
    new AppError(
      401,
      'api_key_wrong_mode',
      'API key for the other mode',
      `This deployment runs in ${mode} mode and accepts only hck_${mode}_ keys; a ${mode === 'live' ? 'test' : 'live'}-mode key works only where Stripe runs in ${mode === 'live' ? 'test' : 'live'} mode`,
      { headers: { 'WWW-Authenticate': 'Bearer realm="hashtag-checkout"' } },
    ),
  tooManyAuthFailures: (retryAfterS: number) =>
    new AppError(
      429,
      'too_many_auth_failures',
      'Too many failed authentications',
      `Too many failed attempts to authenticate from this client or with this credential; retry in ${retryAfterS} s`,
      { headers: { 'Retry-After': String(retryAfterS) } },
    ),
  forbidden: (detail: string) => new AppError(403, 'forbidden', 'Forbidden', detail),
  notFound: (what: string, id?: string) =>
    new AppError(404, 'resource_missing', 'Not found', id ? `No such ${what}: '${id}'` : `No such ${what}`),
  routeNotFound: (method: string, path: string) =>
    new AppError(404, 'route_not_found', 'Not found', `No route for ${method} ${path}`),
  conflict: (code: string, detail: string, extra: Record<string, unknown> = {}) =>
    new AppError(409, code, 'Conflict', detail, extra),
  payloadTooLarge: (limit: string) =>
    new AppError(413, 'payload_too_large', 'Payload too large', `The request body exceeds the ${limit} limit`),
  unsupportedMediaType: (got: string | undefined) =>
    new AppError(
      415,
      'unsupported_media_type',
      'Unsupported media type',
      `Send the body as application/json${got ? ` (got ${got})` : ''}`,
    ),
  idempotencyMismatch: () =>
    new AppError(
      422,
      'idempotency_key_reused',
      'Idempotency key reused',
      'This Idempotency-Key was used with a different request; use a new key for a new request',
    ),
  idempotencyInProgress: () =>
    new AppError(
      409,
      'idempotency_key_in_use',
      'Request in progress',
      'A request with this Idempotency-Key is still being processed; retry shortly',
      { headers: { 'Retry-After': '1' } },
    ),
  rateLimited: (retryAfterS: number) =>
    new AppError(429, 'rate_limited', 'Too many requests', `Rate limit exceeded; retry in ${retryAfterS} s`, {
      headers: { 'Retry-After': String(retryAfterS) },
    }),
  unavailable: (detail: string) => new AppError(503, 'service_unavailable', 'Service unavailable', detail),
};
