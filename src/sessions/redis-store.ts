import session from 'express-session';
import type { Redis } from 'ioredis';

/**
 * express-session store on the service's ioredis client. connect-redis 9 speaks only the
 * `redis` (node-redis v5) API (`set(key, value, {expiration})`, `del([keys])`), which ioredis
 * misreads, so this is the few lines of it we need.
 */
export class IoRedisSessionStore extends session.Store {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlSeconds: number) {
    super();
  }

  private key(sid: string): string {
    return `${this.prefix}${sid}`;
  }

  private ttl(sess: session.SessionData): number {
    const expires = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : 0;
    return expires ? Math.max(1, Math.ceil((expires - Date.now()) / 1000)) : this.ttlSeconds;
  }

  override get(sid: string, cb: (err: unknown, sess?: session.SessionData | null) => void): void {
    this.redis.get(this.key(sid)).then(
      (raw) => cb(null, raw ? (JSON.parse(raw) as session.SessionData) : null),
      (err) => cb(err),
    );
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    this.redis.set(this.key(sid), JSON.stringify(sess), 'EX', this.ttl(sess)).then(() => cb?.(), (err) => cb?.(err));
  }

  override touch(sid: string, sess: session.SessionData, cb?: () => void): void {
    this.redis.expire(this.key(sid), this.ttl(sess)).then(() => cb?.(), () => cb?.());
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.redis.del(this.key(sid)).then(() => cb?.(), (err) => cb?.(err));
  }
}
