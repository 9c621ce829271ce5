import http from 'node:http';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { safeEqual } from '../http/auth';
import type { AuthFailureGuard } from '../http/auth-failures';
import type { Logger } from '../logger';

/** Prometheus may hold METRICS_TOKEN (read-only) instead of the operator token. */
export function metricsAuthorized(header: string | undefined, tokens: Array<string | undefined>): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  // Compare against every token so the time taken does not say which one matched.
  return tokens.filter((t): t is string => Boolean(t)).map((t) => safeEqual(m[1]!, t)).includes(true);
}

async function render(registry: Registry): Promise<{ type: string; body: string }> {
  return { type: registry.contentType, body: await registry.metrics() };
}

/** /metrics on the api; with a guard, wrong tokens count as failed authentications of the client. */
export function metricsRouter(registry: Registry, tokens: Array<string | undefined>, guard?: AuthFailureGuard): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    const attempt = { surface: 'metrics_token', ip: req.ip ?? 'unknown', credential: 'metrics' };
    const wait = req.headers.authorization && guard ? await guard.blockedFor(attempt) : 0;
    if (wait) {
      res.setHeader('Retry-After', String(wait));
      return res.status(429).type('text/plain').send(`too many failed authentications; retry in ${wait} s\n`);
    }
    if (!metricsAuthorized(req.headers.authorization, tokens)) {
      if (req.headers.authorization) await guard?.failed(attempt, req.log);
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      return res.status(401).type('text/plain').send('metrics need Authorization: Bearer <METRICS_TOKEN or ADMIN_TOKEN>\n');
    }
    const out = await render(registry);
    res.setHeader('Cache-Control', 'no-store');
    res.type(out.type).send(out.body);
  });
  return r;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  tokens: Array<string | undefined>;
  log: Logger;
  /** What /healthz reports; a false `ok` answers 503 so an orchestrator restarts the process. */
  health: () => Promise<{ ok: boolean } & Record<string, unknown>> | ({ ok: boolean } & Record<string, unknown>);
}

/**
 * Worker and ingest have no HTTP server of their own: this one serves /healthz (for compose and
 * orchestrators) and /metrics (for Prometheus) on METRICS_PORT, and nothing else.
 */
export async function startOpsServer(o: OpsServerOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') {
      void Promise.resolve()
        .then(o.health)
        .then((h) => send(h.ok ? 200 : 503, 'application/json', JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', ...h })))
        .catch((err: Error) => send(503, 'application/json', JSON.stringify({ status: 'unhealthy', error: err.message })));
      return;
    }
    if (path === '/metrics') {
      if (!metricsAuthorized(req.headers.authorization, o.tokens)) return send(401, 'text/plain', 'metrics need Authorization: Bearer <token>\n');
      void render(o.registry).then(
        (out) => send(200, out.type, out.body),
        (err: Error) => send(500, 'text/plain', `metrics failed: ${err.message}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  o.log.info({ url: `http://${o.host}:${port}` }, 'ops server listening (/healthz, /metrics)');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
