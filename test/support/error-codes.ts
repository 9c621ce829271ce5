import fs from 'node:fs';
import path from 'node:path';

/** The codes in README's "Errors" table (status | code | when): what a client may rely on. */
export function readmeErrorCodes(): Set<string> {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf('| status | code | when |');
  if (start < 0) throw new Error("README.md has no '| status | code | when |' table");
  const codes = new Set<string>();
  for (const line of readme.slice(start).split('\n').slice(2)) {
    if (!line.trim().startsWith('|')) break;
    const codeColumn = line.split('|')[2] ?? '';
    for (const m of codeColumn.matchAll(/`([a-z_]+)`/g)) codes.add(m[1]!);
  }
  return codes;
}
