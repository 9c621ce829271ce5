import crypto from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Redis } from 'ioredis';
import { trustProxy, type Config } from '../config';
import type { Db } from '../db/pool';
import { loggablePath, type Logger } from '../logger';
import { errors } from './errors';
import { problemHandler } from './problem';
import { requireAdmin, requireMerchant } from './auth';
import { rateLimit } from './rate-limit';
import { configuredAuthFailureGuard } from './auth-failures';
import { idempotency } from './idempotency';
import { limitJsonDepth } from './json-depth';
import { health } from './health';
import { createMerchantsService } from '../merchants/merchants.service';
import { merchantsRouter } from '../merchants/merchants.routes';
import { createProductsService } from '../products/products.service';
import { hashtagLimits } from '../products/hashtag-registry';
import { productsRouter } from '../products/products.routes';
import { ordersRouter } from '../orders/orders.routes';
import { createFulfillmentService } from '../orders/fulfillment.service';
import { createCancelService } from '../orders/cancel.service';
import type { Followup } from '../queue/followups';
import type { PaymentsPort } from '../payments/payments.port';
import { createRefundsService } from '../refunds/refunds.service';
import { createLinkSigner } from '../links/links';
import { refundsRouter } from '../refunds/refunds.routes';
import { cspDirectives } from '../pages/csp';
import { eventsRouter } from '../events/events.routes';
import { webhookEndpointsRouter } from '../webhooks/endpoints.routes';
import { createEndpointsService } from '../webhooks/endpoints.service';
import { createSecretBox } from '../webhooks/secret-box';
import { assertCanSell, createConnectService } from '../merchants/connect.service';
import { connectMerchantRouters, connectOperatorRouter, connectPages } from '../merchants/connect.routes';
import { createBlocklistService, type HandleResolver } from '../controls/blocklist.service';
import { blocklistRouter } from '../controls/blocklist.routes';
import { createPauseService } from '../controls/pause.service';
import { operatorPauseRouter, productPauseRouter } from '../controls/pause.routes';
import type { InboundPost } from '../x/x.port';
import { reportsRouter } from '../reports/reports.routes';
import { createReviewService } from '../review/review.service';
import { merchantReviewRulesRouter, productReviewRulesRouter, reviewOrdersRouter } from '../review/review.routes';

export interface AppDeps {
  config: Config;
  db: Db;
  redis: Redis;
  log: Logger;
  /** Called after a product changes, so stream rules can follow. */
  onProductsChanged?: () => void;
  /** Routers that need the raw body or their own parsers (webhooks, pages) mount here, before JSON parsing. */
  mountBefore?: Array<(app: Express) => void>;
  /** Extra /v1 routes (e.g. sandbox helpers) mounted behind the same hygiene. */
  mountV1?: Array<(v1: Router) => void>;
  /** Enqueues the jobs a merchant action leaves (a reply to the buyer); without it the maintenance sweep does. */
  enqueueFollowups?: (followups: Followup[]) => Promise<void>;
  /** The payment provider, for merchant refunds; without it refunds answer 503. */
  payments?: PaymentsPort;
  /** X's user look-up, for blocking by handle; without it a handle answers 503 (the id still works). */
  xUsers?: HandleResolver;
  /** Hands posts recorded during a pause back to the matcher on resume; without it the maintenance sweep does. */
  requeuePosts?: (posts: InboundPost[]) => Promise<void>;
}

const BODY_LIMIT = '100kb';
const REQUEST_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** JSON only: a body in any other type is refused rather than guessed at. */
function requireJson(req: Request, _res: Response, next: NextFunction) {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) throw errors.unsupportedMediaType(req.headers['content-type']);
  next();
}

export function createApp(deps: AppDeps): Express {
  const { config, db, redis, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Only the proxies named in TRUST_PROXY may say who the client is; by default the peer is.
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req_${crypto.randomBytes(9).toString('base64url')}`;
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        // Buyer links are capabilities: keep them (and query strings: OAuth codes) out of the log.
        req: (req) => ({ id: req.id, method: req.method, url: loggablePath(String(req.url)) }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(helmet({ contentSecurityPolicy: { directives: cspDirectives(config) } }));

  app.use(health(db, redis));
  for (const mount of deps.mountBefore ?? []) mount(app);
  const platformFee = { bps: config.PLATFORM_FEE_BPS, fixed: config.PLATFORM_FEE_FIXED };
  const connect = createConnectService({
    db, payments: deps.payments, signer: createLinkSigner(config.SIGNING_SECRET), publicBaseUrl: config.PUBLIC_BASE_URL, platformFee, log,
  });
  app.use(connectPages(connect));

  const v1 = express.Router();
  v1.use(requireJson, express.json({ limit: BODY_LIMIT, strict: true, type: 'application/json' }), limitJsonDepth());
  const limiter = rateLimit({ redis, prefix: config.QUEUE_PREFIX, pointsPerSecond: config.API_RATE_LIMIT_PER_SECOND });
  const idem = idempotency(db);
  const authFailures = configuredAuthFailureGuard(config, redis, log);
  const operator = requireAdmin(config.ADMIN_TOKEN, authFailures);
  const merchant = requireMerchant(db, config.apiKeyMode, authFailures);

  const merchants = createMerchantsService(db, config.apiKeyMode);
  const enqueue = deps.enqueueFollowups;
  // Units a merchant frees (more inventory, a cancel, a refund with restock) go to the waitlist's head at once.
  const waitlist = { signer: createLinkSigner(config.SIGNING_SECRET), publicBaseUrl: config.PUBLIC_BASE_URL, signupTtlHours: config.SIGNUP_TTL_HOURS };
  // Live mode sells only for merchants Stripe lets take charges; test and sandbox let anyone (charges stay on the platform).
  const products = createProductsService(db, hashtagLimits(config), deps.onProductsChanged, {
    mayActivate: config.apiKeyMode === 'live' ? assertCanSell : undefined, waitlist: { deps: waitlist, enqueue },
  });
  v1.use('/merchants', operator, limiter, idem, merchantsRouter(merchants, platformFee), connectOperatorRouter(connect));
  const merchantConnect = connectMerchantRouters(connect, merchants);
  v1.use('/account', merchant, limiter, idem, merchantConnect.account);
  v1.use('/balance', merchant, limiter, merchantConnect.balance);
  v1.use('/payouts', merchant, limiter, merchantConnect.payouts);
  const pause = createPauseService({ db, requeuePosts: deps.requeuePosts });
  v1.use('/products', merchant, limiter, idem, productsRouter(products), productPauseRouter(pause), productReviewRulesRouter(db));
  v1.use('/orders', merchant, limiter, idem, ordersRouter(db, createFulfillmentService({ db, enqueue }), createCancelService({ db, enqueue, waitlist })),
    refundsRouter(createRefundsService({ db, payments: deps.payments, log, enqueue, waitlist })),
    reviewOrdersRouter(createReviewService({ db, publicBaseUrl: config.PUBLIC_BASE_URL, enqueue })));
  v1.use('/review_rules', merchant, limiter, idem, merchantReviewRulesRouter(db));
  v1.use('/events', merchant, limiter, eventsRouter(db));
  const endpoints = createEndpointsService({ db, box: createSecretBox(config.SIGNING_SECRET), policy: { production: config.NODE_ENV === 'production' } });
  v1.use('/webhook_endpoints', merchant, limiter, idem, webhookEndpointsRouter(endpoints));
  // Merchant controls (issue 15).
  const blocklist = createBlocklistService({ db, x: deps.xUsers });
  v1.use('/blocklist', merchant, limiter, idem, blocklistRouter(blocklist, 'merchant'));
  v1.use('/operator/blocklist', operator, limiter, idem, blocklistRouter(blocklist, 'operator'));
  v1.use('/operator', operator, limiter, idem, operatorPauseRouter(pause));
  v1.use('/reports', merchant, limiter, reportsRouter(db));
  for (const mount of deps.mountV1 ?? []) mount(v1);
  app.use('/v1', v1);

  app.use((req: Request) => {
    throw errors.routeNotFound(req.method, req.path);
  });
  app.use(problemHandler);
  return app;
}
