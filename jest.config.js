/**
 * The tiers (README, "Tests"): unit (no I/O), medium (the money paths: services and processors
 * called in-process against real PostgreSQL, Redis and the emulators), integration (routes,
 * ingest, webhooks against the same), e2e (real processes, a browser). Each test file gets its own
 * database (a copy of a migrated template) and queue prefix (test/support), so files run in parallel.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/{unit,medium,integration,e2e}/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  maxWorkers: 2,
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/count-reporter.js'],
};
