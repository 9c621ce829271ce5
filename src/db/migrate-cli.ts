import { loadConfig, ConfigError, redactUrl } from '../config';
import { createLogger } from '../logger';
import { migrate } from './migrate';
import { startEmbeddedPostgres } from './embedded';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const embedded = config.DATABASE_URL ? undefined : await startEmbeddedPostgres(config.DATA_DIR, log);
  const url = config.DATABASE_URL ?? embedded!.url;
  try {
    const applied = await migrate(url, log);
    log.info({ database: redactUrl(url), applied: applied.length }, applied.length ? 'migrations applied' : 'database is up to date');
  } finally {
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `migrate failed: ${(err as Error).message}`);
  process.exit(1);
});
