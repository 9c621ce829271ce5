/** X post ids are numeric strings (snowflakes); compare by length, then lexically. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxId(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return compareIds(a, b) >= 0 ? a : b;
}

/** X's snowflake epoch (2010-11-04T01:42:54.657Z); an id's top bits are ms since it. */
const SNOWFLAKE_EPOCH = 1288834974657n;

/**
 * The smallest id X could mint at `ms`: a since_id meaning "posts from this moment on".
 * Seeds the cursor on a first start, so a standby taking over has something to backfill from.
 */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.floor(ms)) - SNOWFLAKE_EPOCH) << 22n).toString();
}

export function minId(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return compareIds(a, b) <= 0 ? a : b;
}
