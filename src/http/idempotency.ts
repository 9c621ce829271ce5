import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Db } from '../db/pool';
import { errors } from './errors';

// A request that crashed mid-way leaves its key "in progress"; after this long a retry may take it over.
const ABANDONED_AFTER_S = 60;

function scopeOf(req: Request): string {
  const p = req.principal;
  return p?.kind === 'merchant' ? p.merchantId : 'admin';
}

/**
 * Stripe's semantics for POST: the first response (below 500) for a key is stored and replayed
 * for the same request; the same key with another request is refused. Keys live 24 hours.
 */
export function idempotency(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('Idempotency-Key');
    if (req.method !== 'POST' || key === undefined) return next();
    if (key.length === 0 || key.length > 255) throw errors.validation('Idempotency-Key must be 1 to 255 characters');
    const scope = scopeOf(req);
    const hash = crypto
      .createHash('sha256')
      .update(`${req.method} ${req.originalUrl.split('?')[0]}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');

    const claimed = await db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = clock_timestamp()
         WHERE (idempotency_keys.status_code IS NULL AND idempotency_keys.created_at < clock_timestamp() - make_interval(secs => $4))
            OR idempotency_keys.created_at < clock_timestamp() - interval '24 hours'
       RETURNING key`,
      [scope, key, hash, ABANDONED_AFTER_S],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await db.query('SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
      const prior = rows[0];
      if (!prior) throw errors.idempotencyInProgress();
      if (prior.request_hash !== hash) throw errors.idempotencyMismatch();
      if (prior.status_code === null) throw errors.idempotencyInProgress();
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(prior.status_code);
      res.type(prior.status_code >= 400 ? 'application/problem+json' : 'application/json');
      res.send(prior.response_body);
      return;
    }

    // Store the response before it leaves, so a retry that races the reply already sees it.
    const send = res.send.bind(res);
    let stored = false;
    res.send = ((body: unknown) => {
      if (stored) return send(body as never);
      stored = true;
      const text = withoutSecrets(typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body), res.locals.omitFromReplay);
      const write =
        res.statusCode >= 500
          ? db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key])
          : db.query('UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE scope = $1 AND key = $2', [scope, key, res.statusCode, text]);
      write
        .catch((err) => req.log?.error({ err }, 'could not store idempotent response'))
        .finally(() => send(body as never));
      return res;
    }) as Response['send'];
    next();
  };
}

/** A route that shows a secret once lists its fields in res.locals.omitFromReplay: a replay never reveals them. */
function withoutSecrets(text: string, fields: unknown): string {
  if (!Array.isArray(fields) || !fields.length) return text;
  const parsed = JSON.parse(text) as Record<string, unknown>;
  for (const f of fields) delete parsed[String(f)];
  return JSON.stringify(parsed);
}

export async function pruneIdempotencyKeys(db: Db): Promise<number> {
  const r = await db.query("DELETE FROM idempotency_keys WHERE created_at < clock_timestamp() - interval '24 hours'");
  return r.rowCount ?? 0;
}
