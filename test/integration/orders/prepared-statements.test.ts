import { createPool, withTransaction, type Db } from '../../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../../support/db';

/**
 * The pool's connections prepare each parameterised statement once (DATABASE_PREPARED_STATEMENTS):
 * PostgreSQL parses it once per connection instead of on every call. What the service relies on:
 * the same answers as unnamed statements, one server-side statement per text, statements without
 * parameters left unnamed, and a bound on how many one connection keeps.
 */
describe('prepared statements', () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPool(database.url, 1, undefined, { prepare: true });
  });
  afterAll(async () => {
    await db.end();
    await database.drop();
  });

  const prepared = async (): Promise<string[]> =>
    (await db.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'hc\\_%' ORDER BY name")).rows.map((r) => r.name);

  it('prepares a parameterised statement once and answers as before, through the pool and in a transaction', async () => {
    const before = (await prepared()).length;
    for (let i = 0; i < 3; i++) {
      const { rows } = await db.query<{ n: number; s: string }>('SELECT $1::int + 1 AS n, $2::text AS s', [i, `x${i}`]);
      expect(rows[0]).toEqual({ n: i + 1, s: `x${i}` });
    }
    const inTx = await withTransaction(db, async (tx) => (await tx.query<{ n: number }>('SELECT $1::int + 1 AS n', [41])).rows[0]!.n);
    expect(inTx).toBe(42);
    // Two texts, two statements, however often each ran; those without parameters (BEGIN, COMMIT,
    // the listing itself) are not prepared.
    expect((await prepared()).length).toBe(before + 2);
  });

  it('keeps one statement per text, and an error in one does not break the next', async () => {
    await expect(db.query('SELECT $1::int / 0 AS boom', [1])).rejects.toThrow(/division by zero/);
    const { rows } = await db.query<{ ok: boolean }>('SELECT $1::boolean AS ok', [true]);
    expect(rows[0]!.ok).toBe(true);
    const names = await prepared();
    expect(new Set(names).size).toBe(names.length);
  });

  it('stops naming new texts past its bound on one connection, and still answers them', async () => {
    for (let i = 0; i < 420; i++) {
      const { rows } = await db.query<{ v: number }>(`SELECT $1::int AS v, ${i} AS distinct_text`, [i]);
      expect(rows[0]!.v).toBe(i);
    }
    expect((await prepared()).length).toBe(400);
  });

  it('leaves statements unnamed when asked not to prepare (the embedded PGlite)', async () => {
    const plain = createPool(database.url, 1);
    try {
      await plain.query('SELECT $1::int AS v', [1]);
      const { rows } = await plain.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'hc\\_%'");
      expect(rows[0]!.n).toBe(0);
    } finally {
      await plain.end();
    }
  });
});
