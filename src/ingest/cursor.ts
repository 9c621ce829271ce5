import type { Redis } from 'ioredis';

// Numeric max: longer id is bigger, then lexical (ids are decimal strings without leading zeros).
const ADVANCE = `
local cur = redis.call('get', KEYS[1])
local new = ARGV[1]
if (not cur) or (#new > #cur) or (#new == #cur and new > cur) then
  redis.call('set', KEYS[1], new)
  return new
end
return cur`;

/** The highest post id known to be enqueued: where a backfill starts after any gap. */
export class Cursor {
  constructor(private readonly redis: Redis, readonly key: string) {}

  get(): Promise<string | null> {
    return this.redis.get(this.key);
  }

  /** Moves forward only; returns the value now stored. */
  async advance(id: string): Promise<string> {
    if (!/^[1-9][0-9]{0,19}$/.test(id)) throw new Error(`not a post id: ${id}`);
    return String(await this.redis.eval(ADVANCE, 1, this.key, id));
  }

  /** Sets a starting point only when there is none yet. */
  async seed(id: string): Promise<string> {
    await this.redis.set(this.key, id, 'NX');
    return (await this.get()) ?? id;
  }
}
