import { z } from 'zod';
import { plainText } from './text';

export const listQuery = {
  limit: z.coerce.number().int().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100').default(10),
  // A cursor is an id we handed out; anything else matches no row, but must still be storable text.
  starting_after: plainText(z.string().min(1).max(100)).optional(),
};

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** Rows were fetched with limit + 1; the extra row only says whether another page exists. */
export function toPage<R, T>(rows: R[], limit: number, url: string, present: (row: R) => T): ListPage<T> {
  return { object: 'list', data: rows.slice(0, limit).map(present), has_more: rows.length > limit, url };
}

