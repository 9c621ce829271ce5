import Stripe from 'stripe';
import { PaymentsRejectedError, PaymentsUnavailableError } from './payments.port';

/** Sorts Stripe's errors into: retry later, or give up and record why. */
export function translate(err: unknown): never {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    // 409: a concurrent request holds the idempotency key; it resolves on its own.
    const retryable =
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeAPIError ||
      err instanceof Stripe.errors.StripeRateLimitError ||
      status >= 500 || status === 429 || status === 409;
    if (retryable) {
      throw new PaymentsUnavailableError(`Stripe unavailable: ${err.message}`, status === 429 ? 1000 : undefined, { cause: err });
    }
    throw new PaymentsRejectedError(err.code ?? err.type ?? 'stripe_error', err.message, { cause: err });
  }
  throw new PaymentsUnavailableError(`Stripe call failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
}
