import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
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

  async renew(): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  async release(): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE, 1, this.key, this.token)) === 1;
  }

  /** Who holds it now (instance id and token), for status and logs. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
