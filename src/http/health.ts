import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Db } from '../db/pool';

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}

/** /healthz: the process answers. /readyz: its dependencies answer too (else 503). */
export function health(db: Db, redis: Redis): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const check = async (p: () => Promise<unknown>) => within(2000, p()).then(() => 'ok', (err: Error) => `unavailable: ${err.message}`);
    const [postgres, redisState] = await Promise.all([check(() => db.query('SELECT 1')), check(() => redis.ping())]);
    const ready = postgres === 'ok' && redisState === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, redis: redisState } });
  });
  return r;
}
