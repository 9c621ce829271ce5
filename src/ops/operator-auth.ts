import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { safeEqual } from '../http/auth';

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
  now?: () => number;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/**
 * Operator sign-in for the queue UI without server-side sessions: a cookie holding an expiry and
 * an HMAC over it. The MAC also covers a hash of ADMIN_TOKEN, so rotating the token signs every
 * operator out; rotating SIGNING_SECRET does too.
 */
export function operatorAuth(o: OperatorAuthOptions) {
  const now = o.now ?? Date.now;
  const tokenHash = crypto.createHash('sha256').update(o.adminToken).digest('base64url');
  const mac = (purpose: string, value: string) =>
    crypto.createHmac('sha256', o.signingSecret).update(`${purpose}\n${tokenHash}\n${value}`).digest('base64url');
  const cookie = (name: string, value: string, maxAgeMs: number) =>
    `${name}=${encodeURIComponent(value)}; Path=${o.path}; Max-Age=${Math.floor(maxAgeMs / 1000)}; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;

  function validSession(value: string | undefined): boolean {
    const m = /^(\d{10,16})\.([\w-]{43})$/.exec(value ?? '');
    if (!m || Number(m[1]) < now()) return false;
    return safeEqual(m[2]!, mac('session', m[1]!));
  }

  /** HTTP Basic with any user name and the operator token as password (curl -u ops:$ADMIN_TOKEN). */
  function validBasic(header: string | undefined): boolean {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && safeEqual(decoded.slice(colon + 1), o.adminToken);
  }

  const isOperator = (req: Request): boolean =>
    validBasic(req.headers.authorization) || validSession(parseCookies(req.headers.cookie)[SESSION_COOKIE]);

  return {
    isOperator,

    /** Pages go to the sign-in form; anything else (the UI's JSON API, curl) gets a Basic challenge. */
    require(loginPath: string) {
      return (req: Request, res: Response, next: NextFunction) => {
        if (isOperator(req)) return next();
        res.setHeader('Cache-Control', 'no-store');
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

    checkToken(candidate: unknown): boolean {
      return typeof candidate === 'string' && safeEqual(candidate, o.adminToken);
    },

    signIn(res: Response): void {
      const exp = String(now() + SESSION_TTL_MS);
      res.append('Set-Cookie', cookie(SESSION_COOKIE, `${exp}.${mac('session', exp)}`, SESSION_TTL_MS));
      res.append('Set-Cookie', cookie(CSRF_COOKIE, '', 0));
    },

    signOut(res: Response): void {
      res.append('Set-Cookie', cookie(SESSION_COOKIE, '', 0));
    },
  };
}

export type OperatorAuth = ReturnType<typeof operatorAuth>;
