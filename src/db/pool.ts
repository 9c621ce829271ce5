import crypto from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger';

// bigint columns (money in minor units, sums of it) arrive as numbers. Read them as bigint in SQL
// (never cast to integer: that overflows above 2^31 - 1 cents, $21,474,836.47) and refuse a value
// a number cannot hold exactly rather than round money.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${v} is beyond what a number holds exactly`);
  return n;
});

export type Db = pg.Pool;
export type Tx = pg.PoolClient;
export type Queryable = pg.Pool | pg.PoolClient;

/** Distinct statements one connection keeps prepared; past it, further texts run unnamed (as without preparing). */
const PREPARED_PER_CONNECTION = 400;

/**
 * A client that prepares every parameterised statement once per connection (a named statement:
 * PostgreSQL parses it once and, from the sixth run on, may keep a generic plan) instead of
 * parsing and planning it on every call. The pipeline's statements are few, fixed texts run
 * thousands of times: their planning was ~20 % of PostgreSQL's CPU per purchase. The name is a
 * hash of the text, so two texts never share one; a connection prepares at most
 * PREPARED_PER_CONNECTION of them (a text built with values in it would otherwise grow the
 * server's memory without end). Statements without parameters (BEGIN, COMMIT, DDL) stay unnamed.
 */
class PreparingClient extends pg.Client {
  private readonly prepared = new Set<string>();

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const plain = this.query.bind(this) as (...a: unknown[]) => unknown;
    // pg.Pool calls query(text, values, callback) and a PoolClient query(text, values).
    this.query = ((...args: unknown[]) => {
      const [text, values, ...rest] = args;
      if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return plain(...args);
      const name = `hc_${crypto.createHash('sha1').update(text).digest('base64url')}`;
      if (!this.prepared.has(name)) {
        if (this.prepared.size >= PREPARED_PER_CONNECTION) return plain(...args);
        this.prepared.add(name);
      }
      return plain({ name, text, values }, ...rest);
    }) as pg.Client['query'];
  }
}

/**
 * `prepare`: name statements as above. Only against a real server: PGlite serves every socket
 * from one session, where one connection's prepared name would collide with another's.
 */
export function createPool(connectionString: string, max: number, log?: Logger, opts: { prepare?: boolean } = {}): Db {
  const pool = new pg.Pool({
    ...(opts.prepare ? { Client: PreparingClient } : {}),
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    statement_timeout: 15000,
    query_timeout: 20000,
    application_name: 'hashtag-checkout',
  });
  pool.on('error', (err) => log?.error({ err }, 'idle PostgreSQL client failed'));
  return pool;
}

/** One connection and a trivial query: is the server up and accepting us? */
export async function probePostgres(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs fn in one transaction on a connection the caller holds (and releases); rolls back on throw. */
export async function inTransaction<T>(client: Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Runs fn in one transaction on a connection of its own; rolls back on throw. */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    return await inTransaction(client, fn);
  } finally {
    client.release();
  }
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}
