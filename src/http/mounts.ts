import type { Express } from 'express';
import type { AppDeps } from './app';
import type { Runtime } from '../runtime';
import { requireAdmin } from './auth';
import { configuredAuthFailureGuard } from './auth-failures';
import { stripeWebhookRouter } from '../webhooks/stripe.routes';
import { payRouter } from '../pages/pay.routes';
import { assetsRouter } from '../pages/render';
import { buyerPages } from '../buyers/buyer-pages';
import { sandboxRouter } from '../sandbox/sandbox.routes';
import { notifyProductsChanged } from '../ingest';
import { enqueueFollowups } from '../queue/followups';
import { enqueuePosts } from '../ingest/sink';
import { queueUiRouter } from '../ops/queue-ui';
import { metricsRouter } from '../ops/metrics-http';
import type { Metrics } from '../ops/metrics';

/** The pipeline's HTTP surface (webhooks, buyer links, sandbox helpers) on top of the merchant API. */
export function pipelineMounts(rt: Runtime, metrics?: Metrics): Pick<AppDeps, 'mountBefore' | 'mountV1' | 'onProductsChanged' | 'enqueueFollowups' | 'payments' | 'xUsers' | 'requeuePosts'> {
  const emulated = Boolean(rt.config.STRIPE_API_BASE) && rt.config.NODE_ENV !== 'production';
  const authFailures = configuredAuthFailureGuard(rt.config, rt.redis, rt.log);
  return {
    onProductsChanged: () => notifyProductsChanged(rt.redis, rt.config.QUEUE_PREFIX),
    enqueueFollowups: (followups) => enqueueFollowups(rt.queues, followups),
    payments: rt.payments,
    xUsers: rt.x,
    requeuePosts: (posts) => enqueuePosts(rt.queues.tweets, posts, rt.config.INGEST_BATCH_SIZE),
    mountBefore: [
      (app) => app.use(stripeWebhookRouter(rt.db, rt.payments, rt.queues.stripeEvents)),
      (app) => app.use(assetsRouter()),
      (app) => app.use(payRouter(rt.db, rt.signer, rt.payments)),
      (app) => app.use(buyerPages(rt)),
      (app) => app.use(queueUiRouter({
        queues: Object.values(rt.queues), adminToken: rt.config.ADMIN_TOKEN, signingSecret: rt.config.SIGNING_SECRET,
        publicBaseUrl: rt.config.PUBLIC_BASE_URL, log: rt.log, redis: rt.redis, prefix: rt.config.QUEUE_PREFIX,
        authFailures: { perIp: rt.config.AUTH_FAILURES_PER_IP, perCredential: rt.config.AUTH_FAILURES_PER_CREDENTIAL },
      })),
      ...(metrics ? [(app: Express) => app.use(metricsRouter(metrics.registry, [rt.config.ADMIN_TOKEN, rt.config.METRICS_TOKEN], authFailures))] : []),
    ],
    mountV1: [(v1) => v1.use('/sandbox', requireAdmin(rt.config.ADMIN_TOKEN, authFailures), sandboxRouter(rt.buyers, rt.queues, emulated))],
  };
}
