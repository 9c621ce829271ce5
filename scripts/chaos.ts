import { parseArgs } from 'node:util';
import { runChaos } from '../test/support/chaos';

/**
 * npm run chaos -- --posts 3000 --kills 6 --api-kills 2 --seed 7 [--rate 50] [--settle-seconds 180]
 * Fault injection against real processes (needs PostgreSQL and Redis, like the tests). Prints a
 * JSON summary of the invariants and timings on stdout; exits 1 when an invariant is broken.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      posts: { type: 'string', default: '1000' },
      kills: { type: 'string', default: '4' },
      'api-kills': { type: 'string', default: '1' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      rate: { type: 'string', default: '25' },
      'settle-seconds': { type: 'string', default: '180' },
    },
  });
  const num = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${values[name]}"`);
    return n;
  };
  const summary = await runChaos({
    posts: num('posts'), workerKills: num('kills'), apiKills: num('api-kills'), seed: num('seed'),
    postsPerSecond: num('rate') || 25, settleBoundMs: num('settle-seconds') * 1000,
    log: (line) => process.stderr.write(`chaos: ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.exit(summary.ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`chaos: ${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
