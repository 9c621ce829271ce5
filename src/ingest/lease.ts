import type { Redis } from 'ioredis';

// A vacant key (Redis restarted empty, or the TTL ran out with nobody taking over) is taken back
// by its last holder: nobody else is active, so keeping the stream beats a reconnect and backfill.
const RENEW = `local cur = redis.call('get', KEYS[1])
if cur == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not cur then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * "Only one ingest holds the X connection": a Redis key set NX with a TTL, renewed by its
 * holder with compare-and-pexpire and released with compare-and-delete, so nobody ever
 * extends or removes a lease they do not hold.
 */
export class Lease {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    private readonly ttlMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** 'held': renewed; 'retaken': the key was gone and is ours again; 'lost': someone else holds it. */
  async renew(): Promise<'held' | 'retaken' | 'lost'> {
    const r = Number(await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs)));
    return r === 1 ? 'held' : r === 2 ? 'retaken' : 'lost';
  }

  async release(): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE, 1, this.key, this.token)) === 1;
  }

  /** Who holds it now (instance id and token), for status and logs. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
