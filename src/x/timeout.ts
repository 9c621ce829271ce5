import { ApiRequestError, type ITwitterApiClientPlugin } from 'twitter-api-v2';

/** What twitter-api-v2 says when a request's `timeout` ran out with no answer. */
const LIBRARY_TIMEOUT_MESSAGE = 'Request timeout.';

/**
 * Every outbound call has a timeout; the library has none by default. It bounds each request
 * (socket silent that long: no answer). The filtered stream is left alone: it is long-lived and
 * watched by its own keep-alive timeout.
 */
export function timeoutPlugin(ms: number): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      params.timeout ??= ms;
    },
  };
}

/** True when the library gave up waiting for X (the timeout above), not for any other network error. */
export function isXTimeout(err: unknown): boolean {
  if (!(err instanceof ApiRequestError)) return false;
  // The library (1.x) keeps the cause under `_options.error` while its `requestError` getter
  // reads `_options.requestError`: look at both, so a fixed release keeps working.
  const cause = (err.requestError as Error | undefined) ?? (err as unknown as { _options?: { error?: Error } })._options?.error;
  return cause?.message === LIBRARY_TIMEOUT_MESSAGE;
}
