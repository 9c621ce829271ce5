import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadMigrations, migrate } from '../../src/db/migrate';

export const PG_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const TEMPLATE_PREFIX = 'hc_tpl_';
// Advisory lock keys (two-int form) of the test databases: one space, one key per use.
const LOCK_SPACE = 7_432_100;
const BUILD_LOCK = 0;
// Another worktree may run another migration set on the same server: its template is dropped
// only once it has gone unused this long, so two branches tested in turn do not rebuild each time.
const UNUSED_BEFORE_DROP_MS = 60 * 60 * 1000;

/** The template's name: a hash of every migration and of the data steps run with them. */
function templateName(): string {
  const hash = crypto.createHash('sha256');
  for (const m of loadMigrations()) hash.update(`${m.name}\n${m.sql}\n`);
  hash.update(fs.readFileSync(path.resolve(__dirname, '../../src/db/data-migrations.ts')));
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

/** A template's own lock: shared while it is cloned, exclusive to drop it. */
function templateLock(name: string): number {
  return crypto.createHash('sha256').update(name).digest().readInt32BE(0);
}

function urlOf(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Builds the migrated template once per migration set. Jest workers starting together take
 * turns on an advisory lock; the later ones find it built. It becomes a template (and refuses
 * connections) only once fully migrated, so a build that died halfway is started again.
 */
async function ensureTemplate(admin: pg.Client, name: string): Promise<void> {
  const ready = async () =>
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name])).rowCount === 1;
  if (await ready()) return;
  await admin.query('SELECT pg_advisory_lock($1, $2)', [LOCK_SPACE, BUILD_LOCK]);
  try {
    if (await ready()) return;
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await migrate(urlOf(name));
    await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    await dropOldTemplates(admin, name);
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_SPACE, BUILD_LOCK]);
  }
}

/** Templates of other migration sets, unused for a while and not being cloned right now. */
async function dropOldTemplates(admin: pg.Client, current: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string; last_used: string | null }>(
    `SELECT datname, shobj_description(oid, 'pg_database') AS last_used FROM pg_database
     WHERE datname LIKE $1 AND datname <> $2 AND datistemplate`,
    [`${TEMPLATE_PREFIX}%`, current],
  );
  for (const row of rows) {
    if (Date.now() - Number(row.last_used ?? 0) < UNUSED_BEFORE_DROP_MS) continue;
    const key = templateLock(row.datname);
    const { rows: [lock] } = await admin.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS taken', [LOCK_SPACE, key]);
    if (!lock?.taken) continue;
    try {
      await admin.query(`ALTER DATABASE ${row.datname} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS ${row.datname}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_SPACE, key]);
    }
  }
}

/**
 * Each test file gets a database of its own, so files run in parallel without seeing each
 * other: a copy of the migrated template (no connection is ever kept to the template, or
 * PostgreSQL would refuse to copy it).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hc_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const template = templateName();
  await withAdmin(async (admin) => {
    // Held from before the template is looked for: nobody drops it between then and the copy.
    const key = templateLock(template);
    await admin.query('SELECT pg_advisory_lock_shared($1, $2)', [LOCK_SPACE, key]);
    try {
      await ensureTemplate(admin, template);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      await admin.query(`COMMENT ON DATABASE ${template} IS '${Date.now()}'`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock_shared($1, $2)', [LOCK_SPACE, key]);
    }
  });
  return {
    url: urlOf(name),
    name,
    async drop() {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
