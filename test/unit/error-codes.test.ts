import fs from 'node:fs';
import path from 'node:path';
import { readmeErrorCodes } from '../support/error-codes';

const root = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every literal code the service can put in a problem: AppErrors built directly and conflicts. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [/new AppError\(\s*[\w.]+,\s*['"]([a-z_]+)['"]/g, /errors\.conflict\(\s*['"]([a-z_]+)['"]/g];
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.set(m[1]!, path.relative(root, file));
  }
  return found;
}

describe('error codes', () => {
  it('finds the codes it checks (the scan itself works)', () => {
    const codes = codesInSource();
    for (const known of ['validation_failed', 'bad_request', 'internal_error', 'hashtag_taken']) expect(codes.has(known)).toBe(true);
  });

  it("every code the service emits is in README's table of error codes", () => {
    const documented = readmeErrorCodes();
    const missing = [...codesInSource()].filter(([code]) => !documented.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });
});
