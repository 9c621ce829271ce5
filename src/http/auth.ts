import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { errors } from './errors';
import type { Db } from '../db/pool';
import type { AuthFailureGuard } from './auth-failures';

export type Principal = { kind: 'admin' } | { kind: 'merchant'; merchantId: string; keyId: string };

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function hashApiKey(key: string): Buffer {
  return crypto.createHash('sha256').update(key).digest();
}

function bearer(req: Request): string {
  const header = req.headers.authorization;
  if (!header) throw errors.unauthorized();
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw errors.unauthorized('The Authorization header must be "Bearer <key>"');
  return m[1]!;
}

export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** What a request's address is, as Express sees it through the trusted proxies (TRUST_PROXY). */
const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

export function requireAdmin(adminToken: string, guard: AuthFailureGuard) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req);
    const attempt = { surface: 'operator_token', ip: clientIp(req), credential: 'operator' };
    const wait = await guard.blockedFor(attempt);
    if (wait) throw errors.tooManyAuthFailures(wait);
    if (!safeEqual(token, adminToken)) {
      await guard.failed(attempt, req.log);
      throw errors.unauthorized('This endpoint needs the operator token (ADMIN_TOKEN)');
    }
    req.principal = { kind: 'admin' };
    next();
  };
}

const API_KEY = /^hck_(test|live)_[A-Za-z0-9]{20,64}$/;

/**
 * A merchant key works only in its own mode (hck_test_ with a test Stripe key, hck_live_ with a
 * live one). Guessing is slowed before the database is asked: a blocked client or key prefix gets
 * 429 without a lookup, and only failures are counted.
 */
export function requireMerchant(db: Db, mode: 'test' | 'live', guard: AuthFailureGuard) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const key = bearer(req);
    const format = API_KEY.exec(key);
    if (format && format[1] !== mode) throw errors.wrongKeyMode(mode);
    // The mode and four random characters: enough to group guesses at one key, nothing to guess with.
    const attempt = { surface: 'merchant_key', ip: clientIp(req), credential: format ? key.slice(0, 13) : undefined };
    const wait = await guard.blockedFor(attempt);
    if (wait) throw errors.tooManyAuthFailures(wait);
    const row = format
      ? (await db.query<{ id: string; merchant_id: string }>(
          'SELECT id, merchant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
          [hashApiKey(key)],
        )).rows[0]
      : undefined;
    if (!row) {
      await guard.failed(attempt, req.log);
      throw errors.unauthorized(format ? 'Invalid or revoked API key' : 'Invalid API key');
    }
    req.principal = { kind: 'merchant', merchantId: row.merchant_id, keyId: row.id };
    req.log?.setBindings?.({ merchant_id: row.merchant_id });
    next();
  };
}

export function merchantId(req: Request): string {
  if (req.principal?.kind !== 'merchant') throw errors.unauthorized();
  return req.principal.merchantId;
}
