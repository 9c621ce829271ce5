import type { InboundPost } from '../x/x.port';
import { compareIds } from './ids';

/** A batch's job id from its posts: the same posts handed on twice (a redelivery) collapse into one job. */
export function batchJobId(posts: InboundPost[]): string {
  const ids = posts.map((p) => p.id).sort(compareIds);
  return `posts-${ids[0]}-${ids.at(-1)}-${ids.length}`;
}

/** How stream posts are grouped: up to `size` per job, waiting at most `waitMs` for a batch to fill. */
export interface Grouping { size: number; waitMs: number }
export const DEFAULT_GROUPING: Grouping = { size: 200, waitMs: 5 };
