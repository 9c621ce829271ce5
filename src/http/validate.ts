import { z } from 'zod';
import { errors, type FieldError } from './errors';

function fieldErrors(err: z.ZodError): { unknown: string[]; fields: FieldError[] } {
  const unknown: string[] = [];
  const fields: FieldError[] = [];
  for (const issue of err.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) unknown.push(base ? `${base}.${k}` : k);
    } else if (issue.code === 'invalid_key') {
      // The path ends in the refused key itself; name the record and say what is wrong with its keys.
      const record = issue.path.slice(0, -1).map(String).join('.') || '(body)';
      fields.push({ field: record, message: `keys ${issue.issues[0]?.message ?? 'are invalid'}` });
    } else {
      fields.push({ field: base || '(body)', message: issue.message });
    }
  }
  return { unknown, fields };
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { unknown, fields } = fieldErrors(result.error);
  if (unknown.length) throw errors.unknownFields(unknown);
  const first = fields[0];
  throw errors.validation(
    first ? `${where} ${first.field}: ${first.message}${fields.length > 1 ? ` (and ${fields.length - 1} more)` : ''}` : `Invalid ${where}`,
    fields,
  );
}

/** Parses a JSON body; schemas are strict, so unknown fields answer 400 naming them. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    if (body === undefined) return parseWith(schema, {}, 'body');
    throw errors.validation('The body must be a JSON object');
  }
  return parseWith(schema, body, 'body');
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return parseWith(schema, query ?? {}, 'query parameter');
}

/** Path ids are checked for shape, so a malformed id is a plain 404 rather than a query error. */
export function pathId(value: string | undefined, prefix: string, what: string): string {
  if (!value || !new RegExp(`^${prefix}_[A-Za-z0-9]{1,64}$`).test(value)) throw errors.notFound(what, value);
  return value;
}
