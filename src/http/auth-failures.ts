import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../logger';

/** Failures are counted over this window; a blocked client or credential waits until it ends. */
export const AUTH_FAILURE_WINDOW_S = 15 * 60;

export interface AuthFailureLimits {
  /** Failed attempts allowed per client address in the window. */
  perIp: number;
  /** Failed attempts allowed per credential (a key prefix, the operator token) from all addresses. */
  perCredential: number;
}

export interface AuthFailureGuardOptions extends AuthFailureLimits {
  redis: Redis;
  prefix: string;
  log: Logger;
}

/**
 * Where an attempt comes from and what it claims to be. `credential` names the credential, never
 * holds it: a key's public prefix (`hck_test_Ab3x`), `operator`; it is logged as is.
 */
export interface Attempt {
  surface: string;
  ip: string;
  credential?: string;
}

export interface AuthFailureGuard {
  /** Seconds this client or credential must wait before trying again, 0 if it may try. Costs no database query. */
  blockedFor(attempt: Attempt): Promise<number>;
  /** Counts and logs a failed attempt (without the secret). */
  failed(attempt: Attempt, log?: Logger): Promise<void>;
}

/**
 * Slows credential guessing: only failures are counted (a correct credential never spends
 * anything), per client address and per credential separately, in Redis so that every api process
 * shares the counts; if Redis is down each process keeps its own count in memory.
 */
export function authFailureGuard(o: AuthFailureGuardOptions): AuthFailureGuard {
  const limiter = (name: string, points: number): RateLimiterAbstract =>
    new RateLimiterRedis({
      storeClient: o.redis, keyPrefix: `${o.prefix}:authfail:${name}`, points, duration: AUTH_FAILURE_WINDOW_S,
      // Every authenticated request asks first: with Redis away, count in memory rather than wait for it.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points, duration: AUTH_FAILURE_WINDOW_S }),
    });
  const byIp = limiter('ip', o.perIp);
  const byCredential = limiter('cred', o.perCredential);

  const waitOf = (res: RateLimiterRes | null, points: number) =>
    res && res.consumedPoints >= points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;

  return {
    async blockedFor({ ip, credential }) {
      const [ipRes, credRes] = await Promise.all([byIp.get(ip), credential ? byCredential.get(credential) : null]);
      return Math.max(waitOf(ipRes, o.perIp), waitOf(credRes, o.perCredential));
    },

    async failed(attempt, log = o.log) {
      log.warn({ auth_surface: attempt.surface, ip: attempt.ip, credential: attempt.credential }, 'authentication failed');
      const spend = (l: RateLimiterAbstract, key: string) =>
        l.consume(key).catch((err: unknown) => {
          if (!(err instanceof RateLimiterRes)) throw err;
        });
      await Promise.all([spend(byIp, attempt.ip), attempt.credential ? spend(byCredential, attempt.credential) : undefined]);
    },
  };
}

/** The guard as configured (AUTH_FAILURES_PER_IP, AUTH_FAILURES_PER_CREDENTIAL); every instance shares the counts in Redis. */
export function configuredAuthFailureGuard(
  config: { QUEUE_PREFIX: string; AUTH_FAILURES_PER_IP: number; AUTH_FAILURES_PER_CREDENTIAL: number },
  redis: Redis,
  log: Logger,
): AuthFailureGuard {
  return authFailureGuard({ redis, prefix: config.QUEUE_PREFIX, log, perIp: config.AUTH_FAILURES_PER_IP, perCredential: config.AUTH_FAILURES_PER_CREDENTIAL });
}
