import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** No container engine runs here: the file is checked as compose would read it (anchors merged). */
const file = fs.readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a YAML document: shape checked by the assertions
type Node = Record<string, any>;
const compose = parse(file, { merge: true }) as {
  services: Record<string, Node>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const healthUrl = (svc: Node) => (svc.healthcheck?.test as string[]).join(' ');

describe('docker-compose.yml', () => {
  it('runs postgres, redis and the three roles by default, the emulators only under the sandbox profile', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'emulators', 'ingest', 'postgres', 'redis', 'worker']);
    for (const name of ['postgres', 'redis', 'api', 'worker', 'ingest']) expect(services[name]!.profiles).toBeUndefined();
    expect(services.emulators!.profiles).toEqual(['sandbox']);
    expect(services.api!.command).toEqual(['api']);
    expect(services.worker!.command).toEqual(['worker']);
    expect(services.ingest!.command).toEqual(['ingest']);
    expect(services.emulators!.entrypoint).toEqual(['node', 'dist/emulators/main.js']);
  });

  it('gives every service a healthcheck and a restart policy; roles wait for healthy databases', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect([name, svc.restart]).toEqual([name, 'unless-stopped']);
      expect(Array.isArray(svc.healthcheck?.test)).toBe(true);
    }
    expect(healthUrl(services.api!)).toContain('http://127.0.0.1:3000/readyz');
    for (const role of ['worker', 'ingest']) {
      expect(healthUrl(services[role]!)).toContain('http://127.0.0.1:9464/healthz');
      expect(services[role]!.environment.METRICS_PORT).toBe('9464');
      expect(services[role]!.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    }
  });

  it('publishes the api on 3000 and the emulators on their default ports; worker and ingest publish nothing', () => {
    expect(services.api!.ports).toEqual(['${API_PORT:-3000}:3000']);
    expect(services.worker!.ports).toBeUndefined();
    expect(services.ingest!.ports).toBeUndefined();
    expect(services.emulators!.ports).toEqual(['12111:12111', '12112:12112']);
    expect(services.emulators!.environment.STRIPE_WEBHOOK_URL).toBe('http://api:3000/webhooks/stripe');
    expect(services.emulators!.environment.EMULATOR_HOST).toBe('0.0.0.0');
    // Published directly: no proxy is trusted unless the operator names one.
    expect(services.api!.environment.TRUST_PROXY).toBe('${TRUST_PROXY:-}');
  });

  it('keeps data in named volumes, runs two ingest instances and leaves time for a graceful stop', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['pgdata', 'redisdata']);
    expect(services.postgres!.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(services.redis!.volumes).toEqual(['redisdata:/data']);
    expect(services.redis!.command).toContain('noeviction');
    expect(services.ingest!.deploy.replicas).toBe(2);
    const secs = (s: string) => Number(/^(\d+)s$/.exec(s)![1]);
    // Longer than the worker drain bound plus closing, or the engine SIGKILLs mid-job.
    expect(secs(services.worker!.stop_grace_period)).toBeGreaterThan(Number(services.worker!.environment.WORKER_DRAIN_TIMEOUT_MS) / 1000);
    expect(secs(services.api!.stop_grace_period)).toBeGreaterThanOrEqual(Number(services.api!.environment.SHUTDOWN_TIMEOUT_MS) / 1000);
  });

  it('passes secrets only by variable, never by value, and none to the emulators', () => {
    for (const role of ['api', 'worker', 'ingest']) {
      const env = services[role]!.environment as Record<string, string>;
      for (const key of ['ADMIN_TOKEN', 'SIGNING_SECRET', 'STRIPE_SECRET_KEY', 'X_ACCESS_SECRET', 'METRICS_TOKEN']) expect(env[key]).toMatch(/^\$\{[A-Z_]+:-\}$/);
      expect(env.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
    }
    expect(Object.keys(services.emulators!.environment)).not.toContain('STRIPE_SECRET_KEY');
    expect(Object.keys(services.emulators!.environment)).not.toContain('ADMIN_TOKEN');
  });
});
