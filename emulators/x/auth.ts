import type { NextFunction, Request, Response } from 'express';
import { parseOAuthHeader, verifySignature } from './oauth1';
import { forbidden, unauthorized, unsupportedAuth } from './problems';
import type { Store } from './store';

export type Principal =
  | { kind: 'app'; credential: string }
  | { kind: 'user'; userId: string; via: 'oauth2' | 'oauth1'; scopes: string[] | null; app: string };

export interface AuthConfig {
  store: Store;
  bearerTokens?: string[];
  consumerKey?: string;
  consumerSecret?: string;
  /** Tokens that were revoked or rotated: refused rather than mistaken for app bearers. */
  deadTokens: Set<string>;
  /** Origins a client may have signed OAuth 1.0a requests against. */
  origins: (req: Request) => string[];
}

const OAUTH1_MAX_SKEW_S = 15 * 60;

export function authenticate(req: Request, cfg: AuthConfig): Principal | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) {
    const token = bearer[1] ?? '';
    const user = cfg.store.accessTokens.get(token);
    if (user) {
      if (user.expiresAt <= Date.now()) return null;
      return { kind: 'user', userId: user.userId, via: 'oauth2', scopes: user.scopes, app: user.clientId };
    }
    if (cfg.deadTokens.has(token) || cfg.store.refreshTokens.has(token)) return null;
    if (cfg.bearerTokens?.length && !cfg.bearerTokens.includes(token) && !cfg.store.appTokens.has(token)) return null;
    return { kind: 'app', credential: token };
  }
  const oauth = parseOAuthHeader(header);
  if (!oauth) return null;
  const token = oauth.oauth_token;
  if (!token) return null;
  const timestamp = Number(oauth.oauth_timestamp);
  if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > OAUTH1_MAX_SKEW_S) return null;
  const verifying = Boolean(cfg.consumerKey && cfg.consumerSecret);
  if (verifying && oauth.oauth_consumer_key !== cfg.consumerKey) return null;
  const cred = cfg.store.oauth1.get(token);
  if (cred) {
    if (verifying && !verifySignature(req, oauth, cfg.consumerSecret ?? '', cred.secret, cfg.origins(req))) return null;
    if (!cfg.store.users.has(cred.userId)) return null;
    return { kind: 'user', userId: cred.userId, via: 'oauth1', scopes: null, app: oauth.oauth_consumer_key ?? 'oauth1' };
  }
  // Without configured consumer keys, any "<user id>-..." token of a known user is accepted, like a sandbox.
  if (verifying) return null;
  const m = /^([0-9]{1,19})-/.exec(token);
  if (!m || !cfg.store.users.has(m[1] ?? '')) return null;
  return { kind: 'user', userId: m[1] ?? '', via: 'oauth1', scopes: null, app: oauth.oauth_consumer_key ?? 'oauth1' };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

type Mode = 'app' | 'user' | 'either';

export function requireAuth(cfg: AuthConfig, mode: Mode, scopes: string[] = []) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const principal = authenticate(req, cfg);
    if (!principal) return unauthorized(res);
    if (mode === 'app' && principal.kind !== 'app') return unsupportedAuth(res, false);
    if (mode === 'user' && principal.kind !== 'user') return unsupportedAuth(res, true);
    if (principal.kind === 'user' && principal.scopes) {
      const missing = scopes.filter((s) => !principal.scopes?.includes(s));
      if (missing.length) return forbidden(res, `Missing OAuth 2.0 scope(s): ${missing.join(', ')}`);
    }
    res.locals.principal = principal;
    next();
  };
}

/** Rate-limit scope: per user for user context, per app credential otherwise. */
export function scopeOf(_req: Request, res: Response): string {
  const p = principalOf(res);
  return p.kind === 'user' ? `user:${p.userId}` : `app:${p.credential}`;
}

export function appScopeOf(_req: Request, res: Response): string {
  const p = principalOf(res);
  return p.kind === 'user' ? `app:${p.app}` : `app:${p.credential}`;
}
