import crypto from 'node:crypto';
import session from 'express-session';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Redis } from 'ioredis';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { IoRedisSessionStore } from './redis-store';

declare module 'express-session' {
  interface SessionData {
    /** The X account that signed in: the id is the identity, the handle only a label. */
    xUserId?: string;
    xUsername?: string;
    /** Set when a page with a form was shown, so the session (and the CSRF binding) persists. */
    seen?: boolean;
  }
}

export interface SessionOptions {
  redis: Redis;
  prefix: string;
  signingSecret: string;
  /** Cookies are Secure (and CSRF uses a __Host- cookie) only when served over https. */
  secure: boolean;
}

export interface BuyerSessions {
  /** cookie-parser + express-session + CSRF protection on unsafe methods. */
  middleware: RequestHandler[];
  /** A token for a hidden `_csrf` field in each form. */
  csrfToken(req: Request, res: Response): string;
}

const SESSION_TTL_S = 7 * 24 * 3600;

/** Keys derived from the one signing secret, so each use has its own. */
function derive(secret: string, purpose: string): string {
  return crypto.createHmac('sha256', secret).update(`hc-${purpose}`).digest('base64url');
}

/**
 * Buyer sessions live in Redis, keyed by a random id in a signed, HttpOnly, SameSite=Lax cookie
 * (Lax, not Strict: the return from X and from Stripe is a cross-site top-level navigation that
 * must carry it). CSRF is a double-submit token bound to the session id.
 */
export function buyerSessions(o: SessionOptions): BuyerSessions {
  const store = new IoRedisSessionStore(o.redis, `${o.prefix}:sess:`, SESSION_TTL_S);
  const sessionMw = session({
    name: o.secure ? '__Host-hc.sid' : 'hc.sid',
    secret: derive(o.signingSecret, 'session'),
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: true,
    cookie: { httpOnly: true, secure: o.secure, sameSite: 'lax', path: '/', maxAge: SESSION_TTL_S * 1000 },
  });
  const csrf = doubleCsrf({
    getSecret: () => derive(o.signingSecret, 'csrf'),
    getSessionIdentifier: (req) => req.sessionID ?? '',
    cookieName: o.secure ? '__Host-hc.csrf' : 'hc.csrf',
    cookieOptions: { httpOnly: true, secure: o.secure, sameSite: 'lax', path: '/' },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'EBADCSRFTOKEN' },
  });
  const protect = (req: Request, res: Response, next: NextFunction) => csrf.doubleCsrfProtection(req, res, next);
  return {
    middleware: [cookieParser(), sessionMw, protect],
    csrfToken(req, res) {
      req.session.seen = true;
      return csrf.generateCsrfToken(req, res);
    },
  };
}

/** Regenerates the session id on sign-in (no fixation), keeping nothing from before. */
export function signIn(req: Request, user: { id: string; username: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err);
      req.session.xUserId = user.id;
      req.session.xUsername = user.username;
      req.session.save((e) => (e ? reject(e) : resolve()));
    });
  });
}

export function signOut(req: Request): Promise<void> {
  return new Promise((resolve) => req.session.destroy(() => resolve()));
}
