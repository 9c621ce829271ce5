import { z } from 'zod';

// \p{Cc}: control characters, NUL among them (PostgreSQL cannot store NUL in text or jsonb).
// \p{Cs}: with the u flag a surrogate pair is one code point, so this matches only a lone
// surrogate: ill-formed UTF-16 that cannot be encoded as UTF-8 at all.
const CONTROL_OR_LONE_SURROGATE = /[\p{Cc}\p{Cs}]/u;
const LINE_BREAKS_AND_TABS = /[\t\n\r]/g;

export const TEXT_MESSAGE = 'must be well-formed Unicode without control characters such as NUL';

/** True when the string is text we store and show: well-formed Unicode, no control characters. */
export function isPlainText(value: string, opts: { multiline?: boolean } = {}): boolean {
  return !CONTROL_OR_LONE_SURROGATE.test(opts.multiline ? value.replace(LINE_BREAKS_AND_TABS, '') : value);
}

/**
 * Every free-text field of the API goes through this, keys of records included, so input the
 * database cannot store is a 400 naming the field rather than a failed query.
 */
export function plainText(schema: z.ZodString = z.string(), opts: { multiline?: boolean } = {}): z.ZodString {
  return schema.refine((value) => isPlainText(value, opts), TEXT_MESSAGE);
}
