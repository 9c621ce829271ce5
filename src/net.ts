import net from 'node:net';

/**
 * Ports this process has handed out or promised (its own PORT, a port given to a child). The
 * kernel may hand a just-closed port out again, so two quick `freePort()` calls could otherwise
 * return the same number, and a server on port 0 could take a port promised to someone else.
 */
const promised = new Set<number>();

/** Mark ports as taken by this process's plans (PORT, METRICS_PORT) so freePort never returns them. */
export function reservePorts(ports: Array<number | undefined>): void {
  for (const p of ports) if (p) promised.add(p);
}

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A loopback port nobody listens on right now and this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await probe();
    if (!promised.has(port)) {
      promised.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port found in 100 attempts');
}

/**
 * Listen on `port`, or when it is 0/undefined on a kernel-chosen port that is not one this
 * process promised elsewhere. Resolves with the port listened on.
 */
export async function listenOn(server: net.Server, port: number | undefined, host: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as net.AddressInfo).port;
    if (port || !promised.has(bound)) {
      promised.add(bound);
      return bound;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  throw new Error('no free loopback port found in 100 attempts');
}
