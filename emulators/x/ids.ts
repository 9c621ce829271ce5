import { randomBytes } from 'node:crypto';

/** X's snowflake epoch (2010-11-04T01:42:54.657Z): ids embed ms since it in their top bits. */
const TWITTER_EPOCH = 1288834974657n;
const SEQUENCE_BITS = 12n;
const SEQUENCE_MASK = (1n << SEQUENCE_BITS) - 1n;
// X puts datacenter + worker ids in bits 12..21; a fixed worker keeps ids realistic.
const WORKER = 0b0000100001n << SEQUENCE_BITS;

/**
 * Numeric, time-ordered ids like X's, so since_id/until_id and "newest first" work by
 * comparing ids. Sequences are kept per millisecond, which lets a post be injected with
 * a past created_at and still get an id that sorts at that time.
 */
export class SnowflakeGenerator {
  private lastMs = -1n;
  private seq = 0n;
  private readonly pastSeq = new Map<bigint, bigint>();

  next(atMs?: number): string {
    const now = BigInt(Date.now());
    let ms = atMs === undefined ? now : BigInt(Math.floor(atMs));
    if (ms >= this.lastMs) {
      if (ms === this.lastMs) {
        this.seq = (this.seq + 1n) & SEQUENCE_MASK;
        // Sequence exhausted within this millisecond: borrow the next one, as X does by waiting.
        if (this.seq === 0n) ms = this.lastMs + 1n;
      } else {
        this.seq = 0n;
      }
      this.lastMs = ms;
      return this.compose(ms, this.seq);
    }
    const used = this.pastSeq.get(ms) ?? -1n;
    const seq = used + 1n;
    this.pastSeq.set(ms, seq & SEQUENCE_MASK);
    return this.compose(ms, seq & SEQUENCE_MASK);
  }

  private compose(ms: bigint, seq: bigint): string {
    return (((ms - TWITTER_EPOCH) << 22n) | WORKER | seq).toString();
  }
}

/** Milliseconds since the Unix epoch encoded in a snowflake id. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + TWITTER_EPOCH);
}

/** Compares numeric id strings without BigInt: longer is bigger, then lexicographic. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isNumericId(value: string): boolean {
  return /^[0-9]{1,19}$/.test(value);
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** X's OAuth 1.0a access tokens are "<user id>-<random>"; clients rely on the prefix. */
export function oauth1AccessToken(userId: string): string {
  return `${userId}-${randomBytes(20).toString('base64url').replace(/[-_]/g, 'x').slice(0, 25)}`;
}
