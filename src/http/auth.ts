import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { errors } from './errors';
import type { Db } from '../db/pool';

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

export function requireAdmin(adminToken: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!safeEqual(bearer(req), adminToken)) throw errors.unauthorized('This endpoint needs the operator token (ADMIN_TOKEN)');
    req.principal = { kind: 'admin' };
    next();
  };
}

export function requireMerchant(db: Db) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const key = bearer(req);
    if (!/^hck_(test|live)_[A-Za-z0-9]{20,64}$/.test(key)) throw errors.unauthorized('Invalid API key');
    const { rows } = await db.query<{ id: string; merchant_id: string }>(
      'SELECT id, merchant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [hashApiKey(key)],
    );
    const row = rows[0];
    if (!row) throw errors.unauthorized('Invalid or revoked API key');
    req.principal = { kind: 'merchant', merchantId: row.merchant_id, keyId: row.id };
    req.log?.setBindings?.({ merchant_id: row.merchant_id });
    next();
  };
}

export function merchantId(req: Request): string {
  if (req.principal?.kind !== 'merchant') throw errors.unauthorized();
  return req.principal.merchantId;
}
