import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { safeEqual } from '../http/auth';
import type { AuthFailureGuard } from '../http/auth-failures';

export const SESSION_COOKIE = 'hc_ops';
export const CSRF_COOKIE = 'hc_ops_csrf';
export const SESSION_TTL_MS = 2 * 3600_000;

export interface OperatorAuthOptions {
  adminToken: string;
  signingSecret: string;
  /** Cookies are Secure when the service is reached over https. */
  secure: boolean;
  /** Where the cookies apply (the queue UI's mount point). */
  path: string;
  /** Signed-in sessions are listed here, so signing out revokes the cookie and every copy of it. */
  redis: Redis;
  prefix: string;
  /** Counts failed Basic passwords and sign-in tokens. */
  guard: AuthFailureGuard;
  now?: () => number;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A cookie that is not valid percent-encoding is not ours: ignore it rather than fail the request.
    }
  }
  return out;
}

/**
 * Operator sign-in for the queue UI: a cookie holding an expiry, a random session id and an HMAC
 * over both. The id must also be listed in Redis until the expiry: signing out deletes it, so a
 * copy of the cookie dies with it (and so does every session if Redis loses its data). The MAC
 * also covers a hash of ADMIN_TOKEN, so rotating the token signs every operator out; rotating
 * SIGNING_SECRET does too.
 */
export function operatorAuth(o: OperatorAuthOptions) {
  const now = o.now ?? Date.now;
  const tokenHash = crypto.createHash('sha256').update(o.adminToken).digest('base64url');
  const mac = (purpose: string, value: string) =>
    crypto.createHmac('sha256', o.signingSecret).update(`${purpose}\n${tokenHash}\n${value}`).digest('base64url');
  const cookie = (name: string, value: string, maxAgeMs: number) =>
    `${name}=${encodeURIComponent(value)}; Path=${o.path}; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;

  const sessionKey = (id: string) => `${o.prefix}:ops:session:${id}`;

  /** The session id of a well-signed, unexpired cookie, else undefined; Redis is not asked here. */
  function signedSession(value: string | undefined): string | undefined {
    const m = /^(\d{10,16})\.([\w-]{24})\.([\w-]{43})$/.exec(value ?? '');
    if (!m || Number(m[1]) < now()) return undefined;
    return safeEqual(m[3]!, mac('session', `${m[1]}.${m[2]}`)) ? m[2] : undefined;
  }

  async function validSession(value: string | undefined): Promise<boolean> {
    const id = signedSession(value);
    return id !== undefined && (await o.redis.exists(sessionKey(id))) === 1;
  }

  /** HTTP Basic with any user name and the operator token as password (curl -u ops:$ADMIN_TOKEN). */
  function basicPassword(header: string | undefined): string | undefined {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }

  const operatorAttempt = (req: Request, surface: string) => ({ surface, ip: req.ip ?? 'unknown', credential: 'operator' });

  /**
   * 'ok', 'none' (no credentials: not a guess), 'failed' (a wrong password, counted and logged),
   * or the seconds a client that failed too often must wait. A blocked client's password is not
   * even compared, so guessing gains nothing.
   */
  async function check(req: Request): Promise<'ok' | 'none' | 'failed' | number> {
    const password = basicPassword(req.headers.authorization);
    if (password !== undefined) {
      const attempt = operatorAttempt(req, 'queue_ui_basic');
      const wait = await o.guard.blockedFor(attempt);
      if (wait) return wait;
      if (safeEqual(password, o.adminToken)) return 'ok';
      await o.guard.failed(attempt, req.log);
      return 'failed';
    }
    return (await validSession(parseCookies(req.headers.cookie)[SESSION_COOKIE])) ? 'ok' : 'none';
  }

  return {
    isOperator: async (req: Request): Promise<boolean> => (await check(req)) === 'ok',

    /** Pages go to the sign-in form; anything else (the UI's JSON API, curl) gets a Basic challenge. */
    require(loginPath: string) {
      return async (req: Request, res: Response, next: NextFunction) => {
        const outcome = await check(req);
        if (outcome === 'ok') return next();
        res.setHeader('Cache-Control', 'no-store');
        if (typeof outcome === 'number') {
          res.setHeader('Retry-After', String(outcome));
          return void res.status(429).json({ error: `too many failed sign-ins from this address; retry in ${outcome} s` });
        }
        if (req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '')) {
          return res.redirect(303, `${loginPath}?next=${encodeURIComponent(req.originalUrl)}`);
        }
        res.setHeader('WWW-Authenticate', 'Basic realm="Hashtag Checkout queues", charset="UTF-8"');
        res.status(401).json({ error: 'operator sign-in required (HTTP Basic with ADMIN_TOKEN as password)' });
      };
    },

    /** Signed double-submit: a random nonce in an HttpOnly cookie and, MACed, in the form. */
    issueCsrf(res: Response): string {
      const nonce = crypto.randomBytes(18).toString('base64url');
      res.append('Set-Cookie', cookie(CSRF_COOKIE, nonce, 15 * 60_000));
      return `${nonce}.${mac('csrf', nonce)}`;
    },

    checkCsrf(req: Request, field: unknown): boolean {
      const nonce = parseCookies(req.headers.cookie)[CSRF_COOKIE];
      if (!nonce || typeof field !== 'string') return false;
      const [formNonce, formMac] = field.split('.');
      return Boolean(formNonce && formMac) && safeEqual(formNonce!, nonce) && safeEqual(formMac!, mac('csrf', nonce));
    },

    /** The sign-in form's token: 'ok', 'failed' (counted and logged) or the seconds to wait. */
    async checkToken(req: Request, candidate: unknown): Promise<'ok' | 'failed' | number> {
      const attempt = operatorAttempt(req, 'queue_ui_signin');
      const wait = await o.guard.blockedFor(attempt);
      if (wait) return wait;
      if (typeof candidate === 'string' && safeEqual(candidate, o.adminToken)) return 'ok';
      await o.guard.failed(attempt, req.log);
      return 'failed';
    },

    async signIn(res: Response): Promise<void> {
      const exp = String(now() + SESSION_TTL_MS);
      const id = crypto.randomBytes(18).toString('base64url');
      await o.redis.set(sessionKey(id), '1', 'PX', SESSION_TTL_MS);
      res.append('Set-Cookie', cookie(SESSION_COOKIE, `${exp}.${id}.${mac('session', `${exp}.${id}`)}`, SESSION_TTL_MS));
      res.append('Set-Cookie', cookie(CSRF_COOKIE, '', 0));
    },

    /** Revokes the session on the server, then clears the cookie. */
    async signOut(req: Request, res: Response): Promise<void> {
      const id = signedSession(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
      if (id) await o.redis.del(sessionKey(id));
      res.append('Set-Cookie', cookie(SESSION_COOKIE, '', 0));
    },
  };
}

export type OperatorAuth = ReturnType<typeof operatorAuth>;
