import type { Logger } from '../logger';
import type { XIngestPort } from '../x/x.ingest';
import { CANCEL_RULE_TAG, MAX_RULES, OWN_TAG_PREFIX, planRules, RULE_TAG } from './rules';

export interface RuleSyncResult { added: number; removed: number; total: number; dropped: number }

/** List, diff, add missing, delete stale: the stream's rules follow the live products. */
export async function syncStreamRules(
  port: XIngestPort, hashtags: string[], mention: string | null, log: Logger, maxRules = MAX_RULES, cancelShop: string | null = null,
): Promise<RuleSyncResult> {
  const existing = await port.listRules();
  const foreign = existing.filter((r) => !r.tag?.startsWith(OWN_TAG_PREFIX)).length;
  const plan = planRules(existing, hashtags, mention, foreign, maxRules, cancelShop);
  const additions = [
    ...(plan.cancel ? [{ value: plan.cancel, tag: CANCEL_RULE_TAG }] : []),
    ...plan.add.map((value) => ({ value, tag: RULE_TAG })),
  ];
  if (plan.dropped.length) {
    log.error(
      { dropped: plan.dropped.length, sample: plan.dropped.slice(0, 10), maxRules },
      'ingest: X rule cap reached; these hashtags have no stream rule',
    );
  }
  const current = existing.length;
  const add = async () => {
    if (!additions.length) return;
    const res = await port.addRules(additions);
    if (res.problems.length) log.error({ problems: res.problems.slice(0, 10) }, 'ingest: X refused some stream rules');
  };
  const remove = async () => {
    if (plan.remove.length) await port.deleteRules(plan.remove);
  };
  // Add first so no hashtag is ever uncovered, unless that would go over X's cap.
  if (current + additions.length > maxRules) {
    await remove();
    await add();
  } else {
    await add();
    await remove();
  }
  return { added: additions.length, removed: plan.remove.length, total: plan.total, dropped: plan.dropped.length };
}
