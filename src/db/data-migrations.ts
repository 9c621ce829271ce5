import type pg from 'pg';
import type { Logger } from '../logger';
import { hashtagSkeleton } from '../products/hashtag';

/**
 * Steps that SQL cannot do, run by the migration runner right after the migration of the same
 * number and in its transaction, so they run exactly once and before any process serves.
 */
export const DATA_STEPS: Record<number, (client: pg.Client, log?: Logger) => Promise<void>> = {
  4: fillHashtagSkeletons,
};

/**
 * The look-alike key is computed in TypeScript (Unicode confusables data), so existing products
 * get theirs here. Live products are taken oldest first: a live look-alike of an older live
 * product keeps NULL (it cannot be refused any more) and is logged for an operator to archive.
 */
async function fillHashtagSkeletons(client: pg.Client, log?: Logger): Promise<void> {
  const { rows } = await client.query<{ id: string; hashtag: string; status: string }>(
    `SELECT id, hashtag, status FROM products ORDER BY (status = 'active') DESC, created_at, id`,
  );
  const live = new Set<string>();
  const lookAlikes: string[] = [];
  const ids: string[] = [];
  const skeletons: string[] = [];
  for (const row of rows) {
    const skeleton = hashtagSkeleton(row.hashtag);
    if (row.status === 'active') {
      if (live.has(skeleton)) {
        lookAlikes.push(row.id);
        continue;
      }
      live.add(skeleton);
    }
    ids.push(row.id);
    skeletons.push(skeleton);
  }
  await client.query(
    'UPDATE products p SET hashtag_skeleton = v.skeleton FROM unnest($1::text[], $2::text[]) AS v (id, skeleton) WHERE p.id = v.id',
    [ids, skeletons],
  );
  if (lookAlikes.length) {
    log?.warn({ products: lookAlikes }, 'migration: these live products look like an older live product\'s hashtag; archive them');
  }
}
