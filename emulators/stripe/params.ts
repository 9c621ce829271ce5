import { invalidRequest } from './errors';
import type { Metadata, StripeObject, Store } from './store';

/** Form bodies arrive as nested strings (qs); these helpers turn them into typed values or a Stripe 400. */
export type Params = Record<string, unknown>;

export function asParams(value: unknown): Params {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : {};
}

export function str(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${name}`, name);
  return v;
}

export function requiredStr(params: Params, name: string, param = name): string {
  const v = str(params, name);
  if (v === undefined || v === '') throw invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
  return v;
}

export function int(params: Params, name: string, param = name): number | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw invalidRequest(`Invalid integer: ${String(v)}`, param);
  return n;
}

export function bool(params: Params, name: string): boolean | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${String(v)}`, name);
}

/** qs turns `a[0]=x` into an array, but beyond 20 items into an object keyed by index. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === '') return [];
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    return Object.keys(value)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => (value as Params)[k]);
  }
  return [value];
}

export function stringArray(params: Params, name: string): string[] {
  return asArray(params[name]).map((v) => {
    if (typeof v !== 'string') throw invalidRequest(`Invalid array: ${name}`, name);
    return v;
  });
}

export function metadata(params: Params, name = 'metadata'): Metadata | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (v === '') return {};
  if (!v || typeof v !== 'object') throw invalidRequest(`Invalid object`, name);
  const out: Metadata = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw invalidRequest(`Invalid metadata value for ${k}`, `${name}[${k}]`);
    out[k] = val;
  }
  return out;
}

/** Update semantics: keys merge, an empty value deletes its key, an empty string clears all. */
export function mergeMetadata(current: Metadata, params: Params): Metadata {
  const update = metadata(params);
  if (update === undefined) return current;
  if (params.metadata === '') return {};
  const out = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

export function expandPaths(params: Params): string[] {
  return stringArray(params, 'expand');
}

/** Replaces id fields named by dotted paths with the objects they point at, copying so stored objects stay flat. */
export function expand<T extends StripeObject>(obj: T, paths: string[], store: Store): T {
  if (paths.length === 0) return obj;
  let out: Params = { ...obj };
  for (const path of paths) out = expandPath(out, path.split('.'), store);
  return out as T;
}

function expandPath(obj: Params, parts: string[], store: Store): Params {
  const [head, ...rest] = parts;
  if (head === undefined) return obj;
  const value = obj[head];
  if (head === 'data' && Array.isArray(value)) {
    return { ...obj, data: value.map((item: unknown) => expandPath(asParams(item), rest, store)) };
  }
  let target: Params | undefined;
  if (typeof value === 'string') target = store.byId(value);
  else if (value && typeof value === 'object') target = value as Params;
  if (!target) return obj;
  return { ...obj, [head]: rest.length ? expandPath({ ...target }, rest, store) : { ...target } };
}

export interface ListOptions {
  url: string;
  params: Params;
}

/** Stripe list envelope, newest first, with limit / starting_after / ending_before cursors. */
export function list<T extends StripeObject>(items: Iterable<T>, { url, params }: ListOptions) {
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('This value must be between 1 and 100.', 'limit');
  const all = Array.from(items).reverse();
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  let data: T[];
  let hasMore: boolean;
  if (after) {
    const i = all.findIndex((o) => o.id === after);
    if (i < 0) throw invalidRequest(`No such object: '${after}'`, 'starting_after', 'resource_missing');
    data = all.slice(i + 1, i + 1 + limit);
    hasMore = i + 1 + limit < all.length;
  } else if (before) {
    const i = all.findIndex((o) => o.id === before);
    if (i < 0) throw invalidRequest(`No such object: '${before}'`, 'ending_before', 'resource_missing');
    data = all.slice(Math.max(0, i - limit), i);
    hasMore = i - limit > 0;
  } else {
    data = all.slice(0, limit);
    hasMore = all.length > limit;
  }
  return { object: 'list' as const, data, has_more: hasMore, url };
}
