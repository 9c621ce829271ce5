import pino, { type Logger } from 'pino';

/** Every place a secret can sit in a log record; pino replaces these before serialising. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-twitter-webhooks-signature"]',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.api_key',
  '*.apiKey',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.password',
  '*.client_secret',
  '*.code_verifier',
  // Buyers' addresses belong to them and the merchant: wherever one sits, it is not printed.
  'shipping',
  '*.shipping',
  '*.*.shipping',
  // So are their emails (Stripe sends receipts there).
  'email', '*.email', 'receipt_email', '*.receipt_email', '*.receiptEmail',
  'config.ADMIN_TOKEN',
  'config.SIGNING_SECRET',
  'config.METRICS_TOKEN',
  'config.STRIPE_SECRET_KEY',
  'config.STRIPE_WEBHOOK_SECRET',
  'config.X_BEARER_TOKEN',
  'config.X_API_SECRET',
  'config.X_ACCESS_TOKEN',
  'config.X_ACCESS_SECRET',
  'config.X_CLIENT_SECRET',
];

/**
 * A request path as it may be logged: buyer links are capabilities, so the token of /link/<token>
 * and /pay/<token> is replaced (routing ignores case, so must this), and the query string (OAuth
 * codes, states) is dropped.
 */
export function loggablePath(url: string): string {
  return url.split('?')[0]!.replace(/^(\/+(?:link|pay|connect\/(?:refresh|return))\/)[^/]+/i, '$1:token');
}

/** Readable lines for a person at a terminal during development; JSON for everything else (files, pipes, production). */
export function prettyLogsWanted(o: { isTTY: boolean | undefined; nodeEnv: string | undefined }): boolean {
  return o.isTTY === true && o.nodeEnv !== 'production' && o.nodeEnv !== 'test';
}

/** pino-pretty in-process and synchronous (lines stay in order with the banner); JSON if it cannot load. */
export function prettyStream(out: NodeJS.WritableStream | number = 1, colorize = true): pino.DestinationStream | undefined {
  try {
    // Loaded only when wanted: production never pays for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pretty({ destination: out, sync: true, colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
  } catch {
    return undefined;
  }
}

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const out = destination ?? (prettyLogsWanted({ isTTY: process.stdout.isTTY, nodeEnv: process.env.NODE_ENV }) ? prettyStream() : undefined);
  return pino(
    {
      level,
      base: { service: 'hashtag-checkout' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    out,
  );
}

export type { Logger };
