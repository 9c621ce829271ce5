import type { Express } from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { requestArb, type FuzzRequest, type PathValue } from './generate';
import { loadSpec, type Operation } from './spec';

export interface FuzzTarget {
  /** An in-process app, or the base URL of a running service. */
  app: Express | string;
  adminToken: string;
  merchantKey: string;
  otherMerchantKey: string;
  /** Real ids by prefix (mer, key, prod, ord) so requests reach the code behind the lookups. */
  ids: Record<string, string[]>;
  /** Codes a client may see (README's table of error codes). */
  documentedCodes: Set<string>;
}

export interface FuzzFailure {
  index: number;
  request: string;
  status: number | string;
  problem: string;
}

export interface FuzzSummary {
  seed: number;
  requests: number;
  by_status: Record<string, number>;
  failures: FuzzFailure[];
  replay: string;
}

function token(target: FuzzTarget, auth: FuzzRequest['auth']): string | undefined {
  switch (auth) {
    case 'none': return undefined;
    case 'admin': return `Bearer ${target.adminToken}`;
    case 'merchant': return `Bearer ${target.merchantKey}`;
    case 'otherMerchant': return `Bearer ${target.otherMerchantKey}`;
    case 'wrongKey': return `Bearer hck_test_${'A'.repeat(32)}`;
    case 'basic': return 'Basic Zm9vOmJhcg==';
    case 'bareBearer': return 'Bearer';
    case 'huge': return `Bearer ${'x'.repeat(8_000)}`;
  }
}

const PREFIX_BY_COLLECTION: Record<string, string> = { merchants: 'mer', api_keys: 'key', products: 'prod', orders: 'ord' };

function pathOf(target: FuzzTarget, req: FuzzRequest): string {
  return req.template.replace(/([^/]+)\/\{([^}]+)\}/g, (_m, collection: string, name: string) => {
    const value: PathValue = req.pathValues[name] ?? { kind: 'raw', text: 'x' };
    if (value.kind === 'raw') return `${collection}/${value.text}`;
    const prefix = PREFIX_BY_COLLECTION[collection] ?? 'x';
    return `${collection}/${target.ids[prefix]?.[value.slot] ?? `${prefix}_${'Z'.repeat(20)}`}`;
  });
}

/** Enough to rebuild the request by hand; long values are cut, the seed and index replay it exactly. */
export function describeRequest(target: FuzzTarget, req: FuzzRequest): string {
  const url = `${pathOf(target, req)}${req.query ? `?${req.query}` : ''}`;
  const body = req.body === undefined ? '' : req.body.kind === 'json' ? JSON.stringify(req.body.value) : req.body.kind === 'text' ? req.body.text : `hex:${req.body.hex}`;
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}...(${s.length} chars)` : s);
  return `${req.method.toUpperCase()} ${cut(url)} auth=${req.auth} content-type=${req.contentType ?? '-'} idempotency-key=${JSON.stringify(req.idempotencyKey ?? null)} body=${cut(body)}`;
}

/** What must hold for any request: never a 5xx; every 4xx is a problem with a documented code. */
function check(target: FuzzTarget, req: FuzzRequest, res: request.Response): string | null {
  if (res.status >= 500) return `server error: ${res.text.slice(0, 300)}`;
  if (res.status < 400 || req.method === 'head') return null;
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) return `a ${res.status} answered ${type || 'no content type'}, not application/problem+json`;
  let code: unknown;
  try {
    code = (JSON.parse(res.text) as { code?: unknown }).code;
  } catch {
    return 'problem body is not JSON';
  }
  if (typeof code !== 'string' || !target.documentedCodes.has(code)) return `code ${JSON.stringify(code)} is not in README's table of error codes`;
  return null;
}

// The client itself refuses some header values; those requests never reach the service.
const CLIENT_SIDE = new Set(['ERR_INVALID_CHAR', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_URL']);

async function send(target: FuzzTarget, req: FuzzRequest): Promise<request.Response> {
  const agent = request(target.app as Express);
  const method = req.method as 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';
  let test = agent[method](`${pathOf(target, req)}${req.query ? `?${req.query}` : ''}`).timeout(15_000);
  const auth = token(target, req.auth);
  if (auth !== undefined) test = test.set('Authorization', auth);
  if (req.idempotencyKey !== undefined) test = test.set('Idempotency-Key', req.idempotencyKey);
  if (req.body === undefined) return test;
  if (req.contentType) test = test.set('Content-Type', req.contentType);
  const payload = req.body.kind === 'json' ? JSON.stringify(req.body.value) ?? 'null' : req.body.kind === 'text' ? req.body.text : Buffer.from(req.body.hex, 'hex');
  // Bytes exactly as generated: superagent would otherwise JSON-encode a Buffer under a JSON type.
  return test.serialize((data: unknown) => data as string).send(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
}

/** Runs `requests` generated requests one after another (so idempotency replays are deterministic). */
export async function runFuzz(target: FuzzTarget, opts: { requests: number; seed: number; only?: (op: Operation) => boolean; trace?: (line: string) => void }): Promise<FuzzSummary> {
  const spec = loadSpec();
  const operations = spec.operations.filter(opts.only ?? (() => true));
  const { resolve } = spec;
  const generated = fc.sample(requestArb(operations, resolve), { seed: opts.seed, numRuns: opts.requests });
  const summary: FuzzSummary = { seed: opts.seed, requests: generated.length, by_status: {}, failures: [], replay: `npm run fuzz -- --requests ${opts.requests} --seed ${opts.seed}` };
  for (const [index, req] of generated.entries()) {
    let status: number | string;
    let problem: string | null;
    const started = Date.now();
    try {
      const res = await send(target, req);
      status = res.status;
      problem = check(target, req, res);
      opts.trace?.(`${index} ${status} ${Date.now() - started}ms ${res.status >= 400 ? String((res.body as { detail?: string })?.detail ?? '').slice(0, 120) : ''} | ${describeRequest(target, req).slice(0, 200)}`);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      status = CLIENT_SIDE.has(code) ? 'not_sent' : `error:${code || (err as Error).message}`;
      problem = CLIENT_SIDE.has(code) ? null : `no response: ${(err as Error).message}`;
    }
    summary.by_status[String(status)] = (summary.by_status[String(status)] ?? 0) + 1;
    if (problem) summary.failures.push({ index, request: describeRequest(target, req), status, problem });
  }
  return summary;
}
