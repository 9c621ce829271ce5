/**
 * The fuzz of openapi.yaml at any size:
 *   npm run fuzz -- --requests 20000 --seed 42
 *   npm run fuzz -- --base-url http://localhost:3000 --admin-token "$ADMIN_TOKEN"
 * --trace prints one line per request (index, status, detail, request) on stderr.
 * Without --base-url it starts the API in-process against a fresh database (as the tests do:
 * PostgreSQL and Redis must be running). Prints a JSON summary; exits 1 when a request failed.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { startTestApp } from '../test/support/app';
import { FUZZ_ENV, prepareTarget, servedInProcess } from '../test/support/fuzz/fixture';
import { runFuzz } from '../test/support/fuzz/run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      seed: { type: 'string' },
      'base-url': { type: 'string' },
      'admin-token': { type: 'string', default: process.env.ADMIN_TOKEN },
      trace: { type: 'boolean', default: false },
    },
  });
  const requests = Number(values.requests);
  const seed = values.seed === undefined ? crypto.randomInt(2 ** 31) : Number(values.seed);
  if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests must be a positive integer');
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');

  const baseUrl = values['base-url'];
  if (baseUrl && !values['admin-token']) throw new Error('--base-url needs --admin-token (or ADMIN_TOKEN)');
  const local = baseUrl ? null : await startTestApp(FUZZ_ENV);
  try {
    const target = await prepareTarget(baseUrl ?? local!.app, baseUrl ? values['admin-token']! : local!.admin);
    const started = Date.now();
    const summary = await runFuzz(target, { requests, seed, only: baseUrl ? undefined : servedInProcess, trace: values.trace ? (line) => console.error(line) : undefined });
    console.log(JSON.stringify({ ...summary, target: baseUrl ?? 'in-process', seconds: (Date.now() - started) / 1000 }, null, 2));
    return summary.failures.length ? 1 : 0;
  } finally {
    await local?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
