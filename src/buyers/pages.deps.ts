import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import type { XSignInPort } from '../x/x.oauth';
import type { BuyerSessions } from '../sessions/sessions';
import type { OAuthStates } from '../sessions/oauth-state';
import type { LinkSigner } from '../links/links';
import type { AuthFailureGuard } from '../http/auth-failures';
import type { LinkState, OnboardingService } from './onboarding.service';
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
  /** Forged signup links count as failed authentications of the client that sent them. */
  authFailures: AuthFailureGuard;
}

const linkAttempt = (req: Request) => ({ surface: 'signup_link', ip: req.ip ?? 'unknown' });

/** A client that sent too many forged signup links gets the 429 page before any link is looked at. */
export function forgedLinkLimit(guard: AuthFailureGuard): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const wait = await guard.blockedFor(linkAttempt(req));
    if (wait) return stop.rateLimited(res, wait);
    next();
  };
}

/** What a signup link token leads to; a forged one (bad signature) is counted and logged, never the token. */
export async function inspectLink(d: BuyerPagesDeps, req: Request, token: string): Promise<LinkState> {
  const state = await d.onboarding.inspectLink(token);
  if (state.kind === 'invalid') await d.authFailures.failed(linkAttempt(req), req.log);
  return state;
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
