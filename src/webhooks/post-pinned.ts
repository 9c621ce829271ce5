import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { PinnedAddress } from './url-policy';

export interface PostResult {
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs to `url` but connects only to `addresses` (already checked): the hostname still names
 * the server for TLS (SNI and certificate check) and the Host header. Redirects are not
 * followed (a 3xx is a failed attempt). The whole exchange is bounded by `timeoutMs`.
 */
export function postPinned(url: URL, addresses: PinnedAddress[], headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  // Node asks for every address when it tries IPv6 and IPv4 in turn (autoSelectFamily).
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: PinnedAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const done = (r: Omit<PostResult, 'latencyMs'>) => resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup,
        agent: false,
        headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('end', () => done({ statusCode: res.statusCode }));
        res.on('close', () => done({ statusCode: res.statusCode }));
        res.on('error', () => done({ statusCode: res.statusCode }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.name === 'AbortError' || err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (err.code ?? err.message) }));
    req.end(body);
  });
}
