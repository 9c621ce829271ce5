import net from 'node:net';
import { freePort, runService, type ServiceProcess } from '../support/process';
import { startStack, type Stack } from '../support/stack';

// Generous bounds: a process takes a while to load on a busy machine before it logs anything.
jest.setTimeout(180_000);

let s: Stack;
const procs: ServiceProcess[] = [];
const servers: net.Server[] = [];

beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  await s?.close();
});

/** A TCP relay to the real PostgreSQL: "the database came up" is this starting to listen. */
function relayTo(target: URL, port: number): Promise<net.Server> {
  const srv = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  servers.push(srv);
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

/** The test database through a port where nothing listens yet, with a password that must never be printed. */
function viaPort(port: number): string {
  const url = new URL(s.database.url);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.password = 'never-print-this-pw';
  return url.toString();
}

describe('a role started while PostgreSQL is unreachable', () => {
  it('waits with back-off, logging what it waits for, and becomes ready once PostgreSQL is up', async () => {
    const port = await freePort();
    const worker = runService(['worker'], { ...s.env, DATABASE_URL: viaPort(port), STARTUP_WAIT_SECONDS: '60' });
    procs.push(worker);
    const waiting = await worker.waitFor(/waiting for PostgreSQL/, 60_000);
    expect(JSON.parse(waiting)).toMatchObject({ level: 40, waiting_for: 'PostgreSQL' });
    await new Promise((r) => setTimeout(r, 2000));
    expect(worker.proc.exitCode).toBeNull();

    await relayTo(new URL(s.database.url), port);
    await worker.waitFor(/Hashtag Checkout is up/, 60_000);
    expect(worker.output().match(/waiting for PostgreSQL/g)!.length).toBeGreaterThanOrEqual(2);
    expect(worker.output()).not.toContain('never-print-this-pw');
    await worker.stop('SIGTERM');
  });

  it('gives up after STARTUP_WAIT_SECONDS with one clear line and exit code 1', async () => {
    const port = await freePort();
    const api = runService(['api'], { ...s.env, PORT: String(await freePort()), DATABASE_URL: viaPort(port), STARTUP_WAIT_SECONDS: '3' });
    procs.push(api);
    const line = await api.waitFor(/PostgreSQL is not reachable/, 60_000);
    expect(await api.exited()).toBe(1);
    // Measured by the service from the first attempt: the bound, not the time node took to load.
    const waited = Number(/gave up after (\d+) s \(STARTUP_WAIT_SECONDS=3\)/.exec(line)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(1);
    expect(waited).toBeLessThanOrEqual(6);
    expect(line).toContain(`127.0.0.1:${port}`);
    expect(api.output()).not.toContain('never-print-this-pw');
  });
});
