/**
 * X's hashtag rules: letters (any script), marks, digits and underscore; not only digits;
 * at most 100 characters. Matching is case-insensitive after NFKC.
 */
const HASHTAG_BODY = /^[\p{L}\p{M}\p{Nd}_]+$/u;

export function stripHash(input: string): string {
  return input.trim().replace(/^[#＃]/, '');
}

export function hashtagProblem(tag: string): string | null {
  if (tag.length === 0) return 'must not be empty';
  if ([...tag].length > 100) return 'must be at most 100 characters';
  if (!HASHTAG_BODY.test(tag)) return 'may contain only letters, digits and underscores';
  if (/^[\p{Nd}_]+$/u.test(tag)) return 'must contain at least one letter';
  return null;
}

/** Upper-then-lower approximates Unicode full case folding (ß → ss, final sigma). */
export function hashtagKey(tag: string): string {
  return stripHash(tag).normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}
