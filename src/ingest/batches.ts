/** How stream posts are grouped: up to `size` per job, waiting at most `waitMs` for a batch to fill. */
export interface Grouping { size: number; waitMs: number }
export const DEFAULT_GROUPING: Grouping = { size: 200, waitMs: 5 };
