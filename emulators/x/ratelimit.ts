import type { NextFunction, Request, Response } from 'express';
import { tooManyRequests } from './problems';

export type EndpointKey =
  | 'stream_connect'
  | 'rules_get'
  | 'rules_post'
  | 'search_recent'
  | 'tweets_post'
  | 'tweets_post_app_24h'
  | 'tweets_lookup'
  | 'tweets_delete'
  | 'users_lookup'
  | 'users_me'
  | 'oauth2_token';

export type LimitSpec = { limit: number; windowMs: number } | null;

const MIN15 = 15 * 60 * 1000;
const DAY = 24 * 60 * 60 * 1000;

/** X's published per-endpoint limits (see README); null means unlimited. */
export const DEFAULT_LIMITS: Record<EndpointKey, LimitSpec> = {
  stream_connect: { limit: 50, windowMs: MIN15 },
  rules_get: { limit: 450, windowMs: MIN15 },
  rules_post: { limit: 450, windowMs: MIN15 },
  search_recent: { limit: 450, windowMs: MIN15 },
  tweets_post: { limit: 100, windowMs: MIN15 },
  tweets_post_app_24h: { limit: 10000, windowMs: DAY },
  tweets_lookup: { limit: 450, windowMs: MIN15 },
  tweets_delete: { limit: 50, windowMs: MIN15 },
  users_lookup: { limit: 300, windowMs: MIN15 },
  users_me: { limit: 75, windowMs: MIN15 },
  oauth2_token: null,
};

export const ENDPOINT_KEYS = Object.keys(DEFAULT_LIMITS) as EndpointKey[];

export interface Take { limited: boolean; limit: number; remaining: number; reset: number }

/**
 * Fixed windows that open on the first request, like X's 15-minute windows.
 * Buckets are keyed by endpoint and scope (an app or a user).
 */
export class RateLimiter {
  private limits: Record<EndpointKey, LimitSpec>;
  private buckets = new Map<string, { count: number; resetAt: number }>();

  constructor(overrides: Partial<Record<EndpointKey, LimitSpec>> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...overrides };
  }

  configure(overrides: Partial<Record<string, LimitSpec>>): void {
    for (const [key, spec] of Object.entries(overrides)) {
      if (!(key in DEFAULT_LIMITS)) throw new Error(`unknown rate limit key: ${key}`);
      if (spec !== null && (spec === undefined || !(spec.limit >= 0) || !(spec.windowMs > 0))) {
        throw new Error(`invalid rate limit for ${key}: expected {limit, windowMs} or null`);
      }
      if (spec === undefined) continue;
      this.limits[key as EndpointKey] = spec;
      for (const bucket of [...this.buckets.keys()]) if (bucket.startsWith(`${key}|`)) this.buckets.delete(bucket);
    }
  }

  current(): Record<EndpointKey, LimitSpec> {
    return { ...this.limits };
  }

  reset(): void {
    this.buckets.clear();
  }

  take(key: EndpointKey, scope: string, now = Date.now()): Take | null {
    const spec = this.limits[key];
    if (!spec) return null;
    const id = `${key}|${scope}`;
    let bucket = this.buckets.get(id);
    if (!bucket || bucket.resetAt <= now) {
      bucket = { count: 0, resetAt: now + spec.windowMs };
      this.buckets.set(id, bucket);
    }
    const limited = bucket.count >= spec.limit;
    if (!limited) bucket.count++;
    return { limited, limit: spec.limit, remaining: Math.max(0, spec.limit - bucket.count), reset: Math.ceil(bucket.resetAt / 1000) };
  }
}

export function setRateHeaders(res: Response, take: Take, prefix = 'x-rate-limit'): void {
  res.setHeader(`${prefix}-limit`, String(take.limit));
  res.setHeader(`${prefix}-remaining`, String(take.remaining));
  res.setHeader(`${prefix}-reset`, String(take.reset));
}

/** Scope for a request: the authenticated user, else the app credential. */
export type ScopeOf = (req: Request, res: Response) => string;

export function rateLimit(limiter: RateLimiter, key: EndpointKey, scopeOf: ScopeOf) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const take = limiter.take(key, scopeOf(req, res));
    if (take) {
      setRateHeaders(res, take);
      if (take.limited) return tooManyRequests(res);
    }
    next();
  };
}
