import http from 'node:http';
import { ConfigError, loadConfig, redactUrl, type Config } from './config';
import { createLogger, type Logger } from './logger';
import { migrate } from './db/migrate';
import { startEmbeddedPostgres } from './db/embedded';
import { probeRedis } from './redis';
import { probePostgres } from './db/pool';
import { DependencyUnreachableError, waitForDependency } from './startup';
import { createApp } from './http/app';
import { pipelineMounts } from './http/mounts';
import { createRuntime, type Runtime } from './runtime';
import type { StartWorkers } from './queue/worker-role';
import { startIngest } from './ingest';
import { startSandbox } from './sandbox/emulators';
import { sandboxBanner } from './sandbox/banner';
import { createMetrics, type Metrics } from './ops/metrics';
import { hashtagLimits } from './products/hashtag-registry';
import { startOpsServer } from './ops/metrics-http';
import { reservePorts } from './net';

const ROLES = ['api', 'worker', 'ingest', 'all'] as const;
type Role = (typeof ROLES)[number];
type Stopper = () => Promise<void>;

async function startApi(rt: Runtime, metrics: Metrics): Promise<Stopper> {
  const { config, log } = rt;
  metrics.watchQueues(Object.values(rt.queues));
  metrics.watchOrders(rt.db);
  metrics.watchWebhooks(rt.db);
  metrics.watchRuleBudget(rt.db, hashtagLimits(config));
  const app = createApp({ config, db: rt.db, redis: rt.redis, log, ...pipelineMounts(rt, metrics) });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, resolve);
  });
  log.info({ url: `http://${config.HOST}:${config.PORT}`, public: config.PUBLIC_BASE_URL }, 'api listening');
  // Stop accepting, let in-flight requests finish; idle keep-alive sockets close at once, and a
  // request still running after the drain bound is cut so the other roles get their turn.
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), Math.min(10_000, config.SHUTDOWN_TIMEOUT_MS / 3)).unref();
    });
}

async function start(role: Role, initial: Config, log: Logger, roles: RoleEntries): Promise<Stopper[]> {
  const stoppers: Stopper[] = [];
  // The embedded database and sandbox emulators pick loopback ports; never the ones promised here.
  reservePorts([initial.PORT, initial.METRICS_PORT, initial.STRIPE_EMULATOR_PORT, initial.X_EMULATOR_PORT]);
  const waitSeconds = initial.STARTUP_WAIT_SECONDS;
  await waitForDependency('Redis', redactUrl(initial.REDIS_URL), () => probeRedis(initial.REDIS_URL), {
    waitSeconds, log, hint: 'Start it, e.g. "redis-server --daemonize yes", or set REDIS_URL.',
  });

  let config = initial;
  if (initial.sandbox) {
    const sandbox = await startSandbox(initial, log);
    stoppers.push(() => sandbox.stop());
    config = { ...loadConfig({ ...process.env, ...sandbox.env }), sandbox: true };
  }

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(config.DATA_DIR, log);
    stoppers.push(() => embedded.stop());
    databaseUrl = embedded.url;
  } else {
    const url = databaseUrl;
    await waitForDependency('PostgreSQL', redactUrl(url), () => probePostgres(url), { waitSeconds, log, hint: 'Start it, or check DATABASE_URL.' });
  }
  await migrate(databaseUrl, log);
  const rt = createRuntime(config, log, databaseUrl, role);
  const closeRuntime = () => rt.close();
  stoppers.unshift(closeRuntime);
  // One registry per process; in `all` the api's /metrics shows every role.
  const metrics = createMetrics(log);
  const health: Array<() => Promise<Record<string, unknown>>> = [];

  // Stop order matters: first stop taking work (api, ingest), then drain the workers.
  if (role === 'worker' || role === 'all') {
    const workers = await roles.startWorkers(rt, metrics.workerHooks);
    stoppers.unshift(() => workers.stop());
    health.push(async () => ({ workers: workers.workers.every((w) => w.isRunning()) }));
  }
  if (role === 'ingest' || role === 'all') {
    const ingest = await startIngest({ config, db: rt.db, redis: rt.redis, tweetsQueue: rt.queues.tweets, port: rt.x.ingest, log });
    metrics.watchIngest(() => ingest.status());
    stoppers.unshift(() => ingest.stop());
    // A standby is healthy: it is waiting for the lease, not broken.
    health.push(async () => ({ ingest: true, active: ingest.isActive(), connected: ingest.status().connected }));
  }
  if ((role === 'worker' || role === 'ingest') && config.METRICS_PORT !== undefined) {
    const ops = await startOpsServer({
      host: config.HOST, port: config.METRICS_PORT, registry: metrics.registry, tokens: [config.ADMIN_TOKEN, config.METRICS_TOKEN], log,
      health: async () => {
        const parts = Object.assign({}, ...(await Promise.all(health.map((h) => h()))));
        const redis = await rt.redis.ping().then(() => true, () => false);
        return { ok: redis && parts.workers !== false, redis, ...parts };
      },
    });
    // After the workers have drained (stoppers run front to back), before the runtime closes.
    stoppers.splice(stoppers.indexOf(closeRuntime), 0, ops.stop);
  }
  if (role === 'api' || role === 'all') stoppers.unshift(await startApi(rt, metrics));

  log.info({ database: redactUrl(databaseUrl), sandbox: config.sandbox }, 'Hashtag Checkout is up');
  if (!config.ADMIN_TOKEN_FROM_ENV) {
    log.info({ file: `${config.DATA_DIR}/admin-token` }, 'ADMIN_TOKEN not set: the operator token was generated and saved in this file');
  }
  if (config.sandbox && (role === 'all' || role === 'api')) printSandboxHelp(config);
  return stoppers;
}

function printSandboxHelp(config: Config): void {
  process.stdout.write(sandboxBanner(config));
}

/**
 * The roles whose code lives outside src/: the process entry (main.ts at the repository root)
 * passes them in, so src/ never imports workers/.
 */
export interface RoleEntries {
  startWorkers: StartWorkers;
}

/** Runs the role named on the command line (or ROLE; default `all`) until SIGTERM or SIGINT. */
export async function runService(roles: RoleEntries): Promise<void> {
  const role = (process.argv[2] ?? process.env.ROLE ?? 'all') as Role;
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL).child({ role });
  if (!ROLES.includes(role)) {
    log.fatal(`Unknown role "${role}"; use one of: ${ROLES.join(', ')}`);
    process.exit(1);
  }
  let stoppers: Stopper[] = [];
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    for (const s of stoppers) await s().catch((err) => log.error({ err }, 'error while stopping'));
    clearTimeout(timer);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    stoppers = await start(role, config, log, roles);
  } catch (err) {
    if (err instanceof DependencyUnreachableError) log.fatal(err.message);
    else if (err instanceof ConfigError) log.fatal(err.message);
    else log.fatal({ err }, 'start-up failed');
    for (const s of stoppers) await s().catch(() => undefined);
    process.exit(1);
  }
}

