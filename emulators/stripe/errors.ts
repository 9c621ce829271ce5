/** Stripe's v1 error envelope: `{"error": {type, code?, message, param?, ...}}`. */
export type StripeErrorBody = {
  type: 'invalid_request_error' | 'card_error' | 'api_error' | 'idempotency_error';
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  [extra: string]: unknown;
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

export function invalidRequest(message: string, param?: string, code?: string): ApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (code) {
    body.code = code;
    body.doc_url = docUrl(code);
  }
  if (param) body.param = param;
  return new ApiError(400, body);
}

export function resourceMissing(noun: string, id: string, param = 'id'): ApiError {
  return new ApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: docUrl('resource_missing'),
    message: `No such ${noun}: '${id}'`,
    param,
  });
}

export function unexpectedState(noun: string, id: string, status: string, allowed: string[], action: string): ApiError {
  return invalidRequest(
    `This ${noun}'s status is ${status}, but must be one of ${allowed.join(', ')} to ${action}. (${id})`,
    undefined,
    noun === 'PaymentIntent' ? 'payment_intent_unexpected_state' : 'setup_intent_unexpected_state',
  );
}

export function rateLimitError(): ApiError {
  // Real rate limits carry no Stripe-Should-Retry header, so stripe-node surfaces them
  // (StripeRateLimitError) instead of retrying; only lock timeouts ask for a retry.
  return new ApiError(429, {
    type: 'invalid_request_error',
    code: 'rate_limit',
    doc_url: docUrl('rate_limit'),
    message:
      'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
  });
}

export function apiError(status = 500): ApiError {
  return new ApiError(status, {
    type: 'api_error',
    message: 'An unknown error occurred with the Stripe API. Please try again.',
  });
}
