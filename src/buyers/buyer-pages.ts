import { Router } from 'express';
import type { Runtime } from '../runtime';
import { createXSignIn } from '../x/x.oauth';
import { buyerSessions } from '../sessions/sessions';
import { oauthStates } from '../sessions/oauth-state';
import { createOnboardingService } from './onboarding.service';
import { buyerPagesRouter } from './buyers.routes';
import { pageLimit } from './pages.deps';
import { configuredAuthFailureGuard } from '../http/auth-failures';
import { enqueueFollowups } from '../queue/followups';
import { salePageRouter } from '../waitlist/sale-page.routes';

/** Wires the buyer pages from the runtime (mounted by src/http/mounts.ts). */
export function buyerPages(rt: Runtime): Router {
  const { config } = rt;
  const prefix = config.QUEUE_PREFIX;
  const pages = pageLimit(rt.redis, prefix, 'pages', 120, 60);
  return Router().use(salePageRouter(rt.db, pages), buyerPagesRouter({
    onboarding: createOnboardingService({ db: rt.db, buyers: rt.buyers, payments: rt.payments, signer: rt.signer, publicBaseUrl: config.PUBLIC_BASE_URL, log: rt.log,
      enqueue: (followups) => enqueueFollowups(rt.queues, followups) }),
    xSignIn: config.X_CLIENT_ID ? createXSignIn({ clientId: config.X_CLIENT_ID, clientSecret: config.X_CLIENT_SECRET, apiBase: config.X_API_BASE, timeoutMs: config.X_TIMEOUT_MS }) : null,
    states: oauthStates(rt.redis, prefix),
    sessions: buyerSessions({ redis: rt.redis, prefix, signingSecret: config.SIGNING_SECRET, secure: config.PUBLIC_BASE_URL.startsWith('https://') }),
    signer: rt.signer,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    log: rt.log,
    limits: {
      pages,
      signIn: pageLimit(rt.redis, prefix, 'signin', 30, 60),
      status: pageLimit(rt.redis, prefix, 'status', 240, 60),
    },
    authFailures: configuredAuthFailureGuard(config, rt.redis, rt.log),
  }));
}
