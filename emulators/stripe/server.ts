import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { authenticate, RateLimiter, requestId, sendError, wrap, type Handler } from './api';
import { DEFAULT_API_VERSION, type Ctx, type Logger } from './context';
import { ApiError, apiError } from './errors';
import { EventBus } from './events';
import { Faults } from './faults';
import { IdempotencyStore } from './idempotency';
import { Store } from './store';
import { WebhookDispatcher } from './webhooks';
import { registerCustomers } from './customers';
import { registerPaymentMethods } from './payment-methods';
import { registerSetupIntents } from './setup-intents';
import { registerPaymentIntents } from './payment-intents';
import { registerCharges } from './charges';
import { registerRefunds } from './refunds';
import { registerCheckout } from './checkout';
import { registerHostedPage } from './hosted-page';
import { registerWebhookEndpoints } from './webhook-endpoints';
import { registerControl } from './control';
import { registerAccounts } from './accounts';
import { registerConnectMoney } from './connect-money';
import { registerOnboardingPage } from './onboarding-page';

export interface AppOptions {
  /** Called lazily: the port is only known once listening. */
  publicUrl: () => string;
  opsPerSecond?: number;
  webhookEndpoints?: Array<{ url: string; secret?: string; enabled_events?: string[] }>;
  webhookRetryBaseMs?: number;
  webhookMaxAttempts?: number;
  webhookTimeoutMs?: number;
  webhookConcurrency?: number;
  logger?: Logger;
}

export interface EmulatorApp {
  app: Express;
  ctx: Ctx;
  dispatcher: WebhookDispatcher;
  faults: Faults;
  limiter: RateLimiter;
  reset: () => void;
  close: () => void;
}

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export function createStripeEmulatorApp(opts: AppOptions): EmulatorApp {
  const logger = opts.logger ?? quiet;
  let store = new Store();
  const events = new EventBus(50_000, DEFAULT_API_VERSION);
  const ctx: Ctx = {
    get store() {
      return store;
    },
    events,
    logger,
    publicUrl: opts.publicUrl,
  };
  const dispatcher = new WebhookDispatcher({
    retryBaseMs: opts.webhookRetryBaseMs ?? 1000,
    maxAttempts: opts.webhookMaxAttempts ?? 8,
    timeoutMs: opts.webhookTimeoutMs ?? 10_000,
    concurrency: opts.webhookConcurrency ?? 64,
    logger,
  });
  events.setDispatcher(dispatcher);
  for (const e of opts.webhookEndpoints ?? []) dispatcher.addEndpoint(e, true);
  const idempotency = new IdempotencyStore();
  const faults = new Faults();
  const limiter = new RateLimiter(opts.opsPerSecond ?? 0);
  const reset = () => {
    store = new Store();
    events.clear();
    idempotency.clear();
    faults.clear();
    dispatcher.reset();
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'extended');
  app.locals.logger = logger;

  const control = express.Router();
  registerControl(control, ctx, { faults, dispatcher, limiter, reset });
  app.use(control);
  const hosted = express.Router();
  registerHostedPage(hosted, ctx);
  registerOnboardingPage(hosted, ctx);
  app.use(hosted);

  const api = express.Router();
  const w = (h: Handler) => wrap(idempotency, h);
  registerCustomers(api, ctx, w);
  registerPaymentMethods(api, ctx, w);
  registerSetupIntents(api, ctx, w);
  registerPaymentIntents(api, ctx, w);
  registerCharges(api, ctx, w);
  registerRefunds(api, ctx, w);
  registerCheckout(api, ctx, w);
  registerWebhookEndpoints(api, ctx, dispatcher, w);
  registerAccounts(api, ctx, w);
  registerConnectMoney(api, ctx, w);
  api.use((req: Request, res: Response) => {
    sendError(res, new ApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` }));
  });

  app.use('/v1', requestId, faults.middleware, authenticate, limiter.middleware, express.urlencoded({ extended: true, limit: '1mb', parameterLimit: 10_000 }));
  app.use(api);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error(err, 'stripe emulator: unhandled error');
    if (res.headersSent) return;
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 413 || status === 415) {
      return sendError(res, new ApiError(status, { type: 'invalid_request_error', message: 'The request body could not be parsed.' }));
    }
    sendError(res, apiError());
  });

  return { app, ctx, dispatcher, faults, limiter, reset, close: () => dispatcher.close() };
}
