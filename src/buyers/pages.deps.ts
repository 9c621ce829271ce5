import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import type { XSignInPort } from '../x/x.oauth';
import type { BuyerSessions } from '../sessions/sessions';
import type { OAuthStates } from '../sessions/oauth-state';
import type { LinkSigner } from '../links/links';
import type { OnboardingService } from './onboarding.service';
import { stop } from './pages';

export interface BuyerPagesDeps {
  onboarding: OnboardingService;
  /** Null when no OAuth 2.0 client is configured: sign-in pages say so instead of failing. */
  xSignIn: XSignInPort | null;
  states: OAuthStates;
  sessions: BuyerSessions;
  signer: LinkSigner;
  publicBaseUrl: string;
  log: Logger;
  /** Per-IP limits on these public routes. */
  limits: { pages: RequestHandler; signIn: RequestHandler; status: RequestHandler };
}

/** The signed-in X account, or undefined. */
export function currentUser(req: Request): { id: string; username: string } | undefined {
  const s = req.session;
  return s?.xUserId ? { id: s.xUserId, username: s.xUsername ?? '' } : undefined;
}

/**
 * A per-IP limit shared by every api process (Redis), rendered as a page rather than JSON.
 * Buyers on one mobile carrier can share an IP, so the budgets are generous; they stop
 * scripted token guessing and sign-in floods, not people.
 */
export function pageLimit(redis: Redis, prefix: string, name: string, points: number, durationS: number): RequestHandler {
  const limiter = new RateLimiterRedis({
    storeClient: redis, keyPrefix: `${prefix}:rl:${name}`, points, duration: durationS,
    insuranceLimiter: new RateLimiterMemory({ points, duration: durationS }),
  });
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await limiter.consume(req.ip ?? 'unknown');
      next();
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) return next(err);
      const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      if (req.accepts(['html', 'json']) === 'json') return void res.status(429).setHeader('Retry-After', String(seconds)).json({ error: 'rate_limited' });
      stop.rateLimited(res, seconds);
    }
  };
}
