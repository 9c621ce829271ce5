import fc from 'fast-check';
import type { JsonSchema, Operation } from './spec';

/**
 * Requests generated from openapi.yaml: mostly well-formed (so the code behind validation runs
 * too), then mutated: hostile strings and numbers, wrong types, unknown and missing fields,
 * broken JSON and encodings, odd content types, Idempotency-Key weirdness, wrong credentials.
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

export const HOSTILE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\u0007', '\u001b[31m', '\u0085', '\u202e', '\ufeff', '\u200b',
  'é', '😀', 'İ', "' OR 1=1 --", '<script>alert(1)</script>', '{{7*7}}', '../../etc/passwd', 'a'.repeat(5_000),
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
  `${'['.repeat(3_000)}${']'.repeat(3_000)}`, `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`,
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
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 200));
      if (s.format === 'date-time') return fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      const text = fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 30), unit: 'grapheme' });
      if (typeof s.example !== 'string') return text;
      // Examples are real-looking values (a hashtag); a suffix keeps them from always clashing.
      return fc.oneof(fc.constant(s.example), fc.stringMatching(/^[A-Za-z0-9]{1,10}$/).map((x) => `${String(s.example)}${x}`), text);
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
const hostileString = fc.constantFrom(...HOSTILE_STRINGS);

function bodyArb(op: Operation, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<Body | undefined> {
  const broken: Array<fc.WeightedArbitrary<Body | undefined>> = [
    { weight: 1, arbitrary: hostileValue.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES).map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BYTES).map((hex) => ({ kind: 'bytes' as const, hex })) },
  ];
  if (!op.body) return fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, ...broken);
  const valid = fromSchema(op.body, resolve).map((v) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {}));
  const names = Object.keys(resolve(op.body).properties ?? {});
  const fields = names.length ? fc.constantFrom(...names) : fc.constant('name');
  const asBody = (value: unknown): Body => ({ kind: 'json', value });
  return fc.oneof(
    { weight: 5, arbitrary: valid.map(asBody) },
    { weight: 5, arbitrary: fc.tuple(valid, fields, hostileValue).map(([v, k, bad]) => asBody({ ...v, [k]: bad })) },
    { weight: 2, arbitrary: fc.tuple(valid, fields).map(([v, k]) => asBody(Object.fromEntries(Object.entries(v).filter(([key]) => key !== k)))) },
    { weight: 1, arbitrary: fc.tuple(valid, hostileString, hostileValue).map(([v, k, bad]) => asBody({ ...v, [k || 'x']: bad })) },
    { weight: 2, arbitrary: fc.tuple(valid, hostileString, hostileString).map(([v, k, val]) => asBody({ ...v, metadata: { [k]: val || 'x' } })) },
    ...broken,
  );
}

function queryArb(op: Operation, resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  const pair = (name: string, value: fc.Arbitrary<string>) => value.map((v) => `${encode(name)}=${v}`);
  const options: fc.Arbitrary<string>[] = params.map((p) =>
    fc.oneof(
      { weight: 4, arbitrary: pair(p.name, fromSchema(p.schema, resolve).map((v) => encode(String(v)))) },
      { weight: 2, arbitrary: pair(p.name, fc.constantFrom(...RAW_ENCODED)) },
      { weight: 1, arbitrary: pair(p.name, hostileString.map(encode)) },
      { weight: 1, arbitrary: fc.constantFrom(`${encode(p.name)}[]=1`, `${encode(p.name)}=1&${encode(p.name)}=2`, `${encode(p.name)}[x]=1`, encode(p.name)) },
    ),
  );
  options.push(fc.constantFrom('unknown=1', '%ZZ=1', 'a%00=1', '__proto__[x]=1', '&&', '=', 'created[gte]=1'));
  return fc.subarray(options, { maxLength: Math.min(4, options.length) }).chain((chosen) => (chosen.length ? fc.tuple(...chosen) : fc.constant([] as string[]))).map((parts) => parts.join('&'));
}

function pathValueArb(resolve: (s: JsonSchema) => JsonSchema, schema: JsonSchema): fc.Arbitrary<PathValue> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 1 }).map((slot) => ({ kind: 'known' as const, slot })) },
    { weight: 2, arbitrary: fromSchema(schema, resolve).map((v) => ({ kind: 'raw' as const, text: encode(String(v)) })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_ENCODED).map((text) => ({ kind: 'raw' as const, text })) },
    { weight: 1, arbitrary: hostileString.map((v) => ({ kind: 'raw' as const, text: encode(v) || 'x' })) },
  );
}

function authArb(op: Operation): fc.Arbitrary<AuthChoice> {
  const expected: AuthChoice = op.security === 'adminToken' ? 'admin' : op.security === 'apiKey' ? 'merchant' : 'none';
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(expected) },
    { weight: 2, arbitrary: fc.constantFrom<AuthChoice>('none', 'admin', 'merchant', 'otherMerchant', 'wrongKey', 'basic', 'bareBearer', 'huge') },
  );
}

export function requestArb(operations: Operation[], resolve: (s: JsonSchema) => JsonSchema): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    ...operations.map((op) => {
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      return fc.record({
        method: fc.oneof({ weight: 12, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('get', 'post', 'put', 'patch', 'delete', 'head', 'options') }),
        template: fc.constant(op.template),
        pathValues: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, pathValueArb(resolve, p.schema)]))),
        query: fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 3, arbitrary: queryArb(op, resolve) }),
        auth: authArb(op),
        contentType: fc.oneof({ weight: 10, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
        idempotencyKey: fc.oneof(
          { weight: 8, arbitrary: fc.constant(undefined) },
          { weight: 2, arbitrary: fc.uuid().map((u) => `fuzz-${u}`) },
          { weight: 2, arbitrary: fc.constantFrom('', 'k'.repeat(300), 'fuzz-replay', 'clé-é', ' spaced ', '\tx') },
        ),
        body: bodyArb(op, resolve),
      }, { requiredKeys: ['method', 'template', 'pathValues', 'query', 'auth', 'body'] });
    }),
  );
}
