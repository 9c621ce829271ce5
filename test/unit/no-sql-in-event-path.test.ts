import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Repositories own the pipeline's SQL: processors in workers/ and the Stripe webhook route call
 * them and never write a query themselves (issue 12). A cheap guard: SQL statements or a
 * `.query(` call in those files fail this test.
 */
const ROOT = join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

const GUARDED = [...tsFiles(join(ROOT, 'workers')), join(ROOT, 'src/webhooks/stripe.routes.ts')]
  .map((file) => relative(ROOT, file).split('\\').join('/'));

const SQL = [
  /\bSELECT\b[\s\S]{0,200}?\bFROM\b/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+\w+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\.query\s*[<(]/,
];

describe('no raw SQL in the event path', () => {
  it('guards the Stripe webhook route and the stripe-events worker at least', () => {
    expect(GUARDED).toEqual(expect.arrayContaining(['src/webhooks/stripe.routes.ts', 'workers/stripe-events.ts']));
  });

  it.each(GUARDED)('%s reaches the database only through repositories', (file) => {
    const source = readFileSync(join(ROOT, file), 'utf8');
    expect(SQL.filter((pattern) => pattern.test(source)).map(String)).toEqual([]);
  });
});
