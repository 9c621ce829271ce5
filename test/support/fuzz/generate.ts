import fc from 'fast-check';
import type { JsonSchema, Operation } from './spec';

/**
 * Requests generated from openapi.yaml: a well-formed request with at most one thing wrong, so
 * the wrong thing reaches the code behind the other checks: hostile strings and numbers, wrong
 * types, unknown and missing fields, broken JSON and encodings, odd content types,
 * Idempotency-Key weirdness, wrong credentials, other methods.
 * A request is plain data (tokens and ids are named, not embedded), so a seed replays it.
 */
export type AuthChoice = 'none' | 'admin' | 'merchant' | 'otherMerchant' | 'wrongKey' | 'basic' | 'bareBearer' | 'huge';
export type PathValue = { kind: 'known'; slot: number } | { kind: 'raw'; text: string };
export type Body = { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'bytes'; hex: string };

export interface FuzzRequest {
  method: string;
  template: string;
  pathValues: Record<string, PathValue>;
  query: string;
  auth: AuthChoice;
  contentType?: string;
  idempotencyKey?: string;
  body?: Body;
}

const deep = (depth: number): unknown => (depth === 0 ? {} : { a: deep(depth - 1) });

/** What a database or a UTF-8 encoder chokes on: NUL, control characters, lone surrogates. */
const UNSTORABLE_STRINGS = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\u0007', '\u001b[31m', '\u0085', '\ud83d'];

export const HOSTILE_STRINGS = [
  ...UNSTORABLE_STRINGS, '', ' ', '\u202e', '\ufeff', '\u200b', 'é', '😀', 'İ', "' OR 1=1 --", '<script>alert(1)</script>', '{{7*7}}', '../../etc/passwd', 'a'.repeat(5_000),
  '%ZZ', '\\', '"', '#', '＃BuyMug', '１２', 'null', 'true', '1e309', '__proto__', 'constructor',
];

const HOSTILE_VALUES: unknown[] = [
  ...HOSTILE_STRINGS, 0, -1, 1.5, -0.5, 2 ** 31, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER,
  null, true, false, [], {}, [1, 'a'], ['x'], { a: 1 }, deep(40),
];

/** Bodies a JSON serialiser would never write. */
const RAW_BODIES = [
  '{', '{"a":', '[', 'nul', '', ' ', '{"name":"\\u0000"}', '{"name":"\\ud800"}', '{"metadata":{"\\ud800":"x"}}',
  '{"unit_amount": 1e400}', '{"unit_amount": -1e400}', '{"unit_amount": 123456789012345678901234567890}',
  '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}', '{"name":"a","name":"b"}',
  `${'['.repeat(3_000)}${']'.repeat(3_000)}`, `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`, `{"metadata":${'['.repeat(45_000)}${']'.repeat(45_000)}}`,
  `{"name":"${'x'.repeat(120_000)}"}`, '{"name":"\\uZZZZ"}', '"\\ud83d"', '1', 'true', '[{}]',
];

const RAW_BYTES = ['fffe00', 'efbbbf7b7d', '7b226e616d65223a22c328227d', '7b226e616d65223a22eda080227d', 'c0af', '00'];

/** Already percent-encoded fragments, some of them not valid encodings at all. */
const RAW_ENCODED = [
  '%ZZ', '%', '%E0%A4%A', '%00', 'a%00b', '%ED%A0%80', '%FF', '%C0%80', '%F0%9F%92%A9', '1e999', '-0', '0x10', '1.5',
  '%201', '9'.repeat(400), '8640000000000', '-8640000000001', '%2B1', 'NaN', 'Infinity', '%5B%5D', 'a'.repeat(3_000),
];

const CONTENT_TYPES = [
  'text/plain', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/x-www-form-urlencoded',
  'application/merge-patch+json', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8', 'application/JSON',
];

/** Percent-encodes any string, lone surrogates included (as the bytes a sloppy client would send). */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value].map((ch) => (/[\ud800-\udfff]/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch))).join('');
  }
}

export function fromSchema(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf)!.map((x) => fromSchema(x, resolve, depth)));
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((type) => fromSchema({ ...s, type }, resolve, depth)));
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -1_000_000, -(2 ** 40)), max: Math.min(s.maximum ?? 1_000_000_000, 2 ** 40) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: s.minimum, max: s.maximum });
    case 'string': {
      // Examples are real-looking values (a currency, a hashtag): mostly used, so requests get past
      // validation to the code behind it; a suffix keeps a hashtag from always clashing.
      const example = typeof s.example === 'string' ? s.example : undefined;
      if (s.pattern) {
        const matching = fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 200));
        return example ? fc.oneof({ weight: 6, arbitrary: fc.constant(example) }, { weight: 1, arbitrary: matching }) : matching;
      }
      if (s.format === 'date-time') return fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      const text = fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 30), unit: 'grapheme' });
      if (!example) return text;
      return fc.oneof(
        { weight: 1, arbitrary: fc.constant(example) },
        { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,10}$/).map((x) => `${example}${x}`) },
        { weight: 1, arbitrary: text },
      );
    }
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(fromSchema(s.items ?? {}, resolve, depth + 1), { maxLength: 3 });
    case 'object': {
      if (depth > 3) return fc.constant({});
      const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, fromSchema(v, resolve, depth + 1)]));
      const known = fc.record(props, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
      if (typeof s.additionalProperties !== 'object') return known;
      const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fromSchema(s.additionalProperties, resolve, depth + 1), { maxKeys: 3 });
      return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const hostileValue = fc.constantFrom(...HOSTILE_VALUES);
const hostileString = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...UNSTORABLE_STRINGS) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) });
const brokenBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 1, arbitrary: hostileValue.map((value) => ({ kind: 'json' as const, value })) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES).map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_BYTES).map((hex) => ({ kind: 'bytes' as const, hex })) },
);

type Mutation = (req: FuzzRequest) => FuzzRequest;
type Weighted = fc.WeightedArbitrary<Mutation>;

function withBody(req: FuzzRequest, change: (body: Record<string, unknown>) => Record<string, unknown>): FuzzRequest {
  const value = req.body?.kind === 'json' && req.body.value && typeof req.body.value === 'object' ? (req.body.value as Record<string, unknown>) : {};
  return { ...req, body: { kind: 'json', value: change(value) } };
}

function bodyMutations(op: Operation, resolve: (s: JsonSchema) => JsonSchema): Weighted[] {
  if (!op.body) return [{ weight: 1, arbitrary: brokenBody.map((body): Mutation => (req) => ({ ...req, body })) }];
  const props = resolve(op.body).properties ?? {};
  const names = Object.keys(props);
  const strings = names.filter((k) => [resolve(props[k]!).type].flat().includes('string'));
  const any = names.length ? fc.constantFrom(...names) : fc.constant('name');
  const set = (key: string, value: unknown): Mutation => (req) => withBody(req, (b) => ({ ...b, [key]: value }));
  const list: Weighted[] = [
    { weight: 3, arbitrary: fc.tuple(any, hostileValue).map(([k, v]) => set(k, v)) },
    { weight: 2, arbitrary: brokenBody.map((body): Mutation => (req) => ({ ...req, body })) },
    { weight: 1, arbitrary: any.map((k): Mutation => (req) => withBody(req, (b) => Object.fromEntries(Object.entries(b).filter(([key]) => key !== k)))) },
    { weight: 1, arbitrary: hostileString.map((k) => set(k || 'x', 1)) },
  ];
  if (strings.length) list.push({ weight: 4, arbitrary: fc.tuple(fc.constantFrom(...strings), hostileString).map(([k, v]) => set(k, v)) });
  if ('metadata' in props) {
    list.push({ weight: 3, arbitrary: fc.tuple(hostileString, fc.boolean()).map(([bad, inKey]) => set('metadata', inKey ? { [bad || 'x']: 'v' } : { k: bad })) });
  }
  return list;
}

function queryPair(name: string, value: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return value.map((v) => `${encode(name)}=${v}`);
}

function queryMutations(op: Operation): Weighted[] {
  const names = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const add = (part: string): Mutation => (req) => ({ ...req, query: [req.query, part].filter(Boolean).join('&') });
  const replace = (name: string, part: string): Mutation => (req) => ({
    ...req,
    query: [...req.query.split('&').filter((kv) => kv && !kv.startsWith(`${encode(name)}=`)), part].join('&'),
  });
  const list: Weighted[] = [{ weight: 1, arbitrary: fc.constantFrom('unknown=1', '%ZZ=1', 'a%00=1', '__proto__[x]=1', '&&', '=').map(add) }];
  if (!names.length) return list;
  const name = fc.constantFrom(...names);
  list.push(
    { weight: 3, arbitrary: fc.tuple(name, fc.constantFrom(...RAW_ENCODED)).map(([n, v]) => replace(n, `${encode(n)}=${v}`)) },
    { weight: 3, arbitrary: fc.tuple(name, hostileString).map(([n, v]) => replace(n, `${encode(n)}=${encode(v)}`)) },
    { weight: 1, arbitrary: name.chain((n) => fc.constantFrom(`${encode(n)}[]=1`, `${encode(n)}=1&${encode(n)}=2`, `${encode(n)}[x]=1`, encode(n)).map((part) => replace(n, part))) },
  );
  return list;
}

function validQuery(op: Operation, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  if (!params.length) return fc.constant('');
  const parts = params.map((p) => fc.option(queryPair(p.name, fromSchema(p.schema, resolve).map((v) => encode(String(v)))), { nil: undefined, freq: 2 }));
  return fc.tuple(...parts).map((chosen) => chosen.filter((x): x is string => x !== undefined).join('&'));
}

function pathMutations(op: Operation, resolve: (s: JsonSchema) => JsonSchema): Weighted[] {
  const params = op.parameters.filter((p) => p.in === 'path');
  if (!params.length) return [];
  const raw = fc.oneof(
    fc.constantFrom(...RAW_ENCODED),
    hostileString.map((v) => encode(v) || 'x'),
    fc.constantFrom(...params).chain((p) => fromSchema(p.schema, resolve)).map((v) => encode(String(v))),
  );
  return [{ weight: 3, arbitrary: fc.tuple(fc.constantFrom(...params.map((p) => p.name)), raw).map(([n, text]): Mutation => (req) => ({ ...req, pathValues: { ...req.pathValues, [n]: { kind: 'raw', text } } })) }];
}

const HEADER_MUTATIONS: Weighted[] = [
  { weight: 3, arbitrary: fc.constantFrom<AuthChoice>('none', 'admin', 'merchant', 'otherMerchant', 'wrongKey', 'basic', 'bareBearer', 'huge').map((auth): Mutation => (req) => ({ ...req, auth })) },
  { weight: 2, arbitrary: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }).map((contentType): Mutation => (req) => ({ ...req, contentType })) },
  { weight: 1, arbitrary: fc.constantFrom('get', 'post', 'put', 'patch', 'delete', 'head', 'options').map((method): Mutation => (req) => ({ ...req, method })) },
  { weight: 2, arbitrary: fc.oneof(fc.uuid().map((u) => `fuzz-${u}`), fc.constantFrom('', 'k'.repeat(300), 'fuzz-replay', 'clé-é', ' spaced ', '\tx')).map((idempotencyKey): Mutation => (req) => ({ ...req, idempotencyKey })) },
];

export function requestArb(operations: Operation[], resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    ...operations.map((op) => {
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      const expected: AuthChoice = op.security === 'adminToken' ? 'admin' : op.security === 'apiKey' ? 'merchant' : 'none';
      const valid = fc.record({
        method: fc.constant(op.method),
        template: fc.constant(op.template),
        pathValues: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fc.integer({ min: 0, max: 1 }).map((slot): PathValue => ({ kind: 'known', slot }))]))),
        query: validQuery(op, resolve),
        auth: fc.constant(expected),
        contentType: fc.constant('application/json'),
        body: op.body ? fromSchema(op.body, resolve).map((value): Body => ({ kind: 'json', value })) : fc.constant(undefined),
      });
      const mutation = fc.oneof(
        { weight: 3, arbitrary: fc.constant<Mutation>((req) => req) },
        ...bodyMutations(op, resolve), ...queryMutations(op), ...pathMutations(op, resolve), ...HEADER_MUTATIONS,
      );
      // Operations with more input get more requests.
      const inputs = Object.keys(op.body ? resolve(op.body).properties ?? {} : {}).length + op.parameters.length;
      return { weight: 1 + inputs, arbitrary: fc.tuple(valid, mutation).map(([req, mutate]) => mutate(req as FuzzRequest)) };
    }),
  );
}
