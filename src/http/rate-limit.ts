import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { errors } from './errors';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  pointsPerSecond: number;
}

/**
 * Per-principal limit shared by every api process through Redis. If Redis is down the
 * in-memory insurance limiter keeps a per-process limit instead of failing requests.
 */
export function rateLimit({ redis, prefix, pointsPerSecond }: RateLimitOptions) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:ratelimit`,
    points: pointsPerSecond,
    duration: 1,
    insuranceLimiter: new RateLimiterMemory({ points: pointsPerSecond, duration: 1 }),
  });
  return async (req: Request, res: Response, next: NextFunction) => {
    const p = req.principal;
    const key = p?.kind === 'merchant' ? `key:${p.keyId}` : p?.kind === 'admin' ? 'admin' : `ip:${req.ip}`;
    try {
      const r = await limiter.consume(key);
      res.setHeader('RateLimit-Limit', String(pointsPerSecond));
      res.setHeader('RateLimit-Remaining', String(r.remainingPoints));
      next();
    } catch (err) {
      if (err instanceof RateLimiterRes) throw errors.rateLimited(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  };
}
