import type { Queryable } from '../db/pool';

const POST_ID = /^[1-9][0-9]{0,19}$/;

// One statement answers the value now stored: the new one when it moved, else the one kept.
const ADVANCE = `
WITH moved AS (
  INSERT INTO ingest_cursor (name, since_id) VALUES ($1, $2::numeric)
  ON CONFLICT (name) DO UPDATE SET since_id = EXCLUDED.since_id, updated_at = clock_timestamp()
    WHERE ingest_cursor.since_id < EXCLUDED.since_id
  RETURNING since_id)
SELECT since_id::text AS since_id FROM moved
UNION ALL
SELECT since_id::text FROM ingest_cursor WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM moved)`;

const SEED = `
WITH seeded AS (
  INSERT INTO ingest_cursor (name, since_id) VALUES ($1, $2::numeric) ON CONFLICT (name) DO NOTHING RETURNING since_id)
SELECT since_id::text AS since_id FROM seeded
UNION ALL
SELECT since_id::text FROM ingest_cursor WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM seeded)`;

/**
 * The highest post id known to be in the inbox with every post before it: where a backfill
 * starts after any gap. Kept in PostgreSQL, so Redis losing everything does not move it; it
 * moves forward only (numeric compare: ids are decimal strings of any length).
 */
export class Cursor {
  constructor(private readonly db: Queryable, readonly name = 'x') {}

  async get(): Promise<string | null> {
    const { rows } = await this.db.query<{ since_id: string }>('SELECT since_id::text AS since_id FROM ingest_cursor WHERE name = $1', [this.name]);
    return rows[0]?.since_id ?? null;
  }

  /** Moves forward only; returns the value now stored. */
  async advance(id: string): Promise<string> {
    return this.write(ADVANCE, id);
  }

  /** Sets a starting point only when there is none yet; returns the value now stored. */
  async seed(id: string): Promise<string> {
    return this.write(SEED, id);
  }

  private async write(sql: string, id: string): Promise<string> {
    if (!POST_ID.test(id)) throw new Error(`not a post id: ${id}`);
    const { rows } = await this.db.query<{ since_id: string }>(sql, [this.name, id]);
    return rows[0]?.since_id ?? id;
  }
}
