/**
 * Settles a charge batch's paid answers in small groups as they arrive, rather than all at once
 * after the slowest: an order is `paid` (receipt written) a few milliseconds after Stripe answers
 * for it, so the webhook Stripe sends for the same payment mostly finds it settled, and one slow
 * answer holds back nobody else. A group goes when it reaches `size`, or `delayMs` after its first
 * member came (the answers of a batch come close together: a short wait fills the group), and the
 * rest at `done()`.
 *
 * Groups are settled one after another, never side by side: a batch holds one connection at a
 * time, and two of its statements never lock the same products in different orders. After a
 * group fails nothing more is settled (those orders stay `charging`, retried under the same
 * idempotency keys), and `done()` throws that failure.
 */
export interface SettleGroups<T> {
  add(item: T): void;
  /** Settles what is left and waits for every group. */
  done(): Promise<void>;
}

export const SETTLE_GROUP_SIZE = 10;
export const SETTLE_GROUP_DELAY_MS = 5;

export function settleInGroups<T>(settle: (group: T[]) => Promise<void>, opts: { size?: number; delayMs?: number } = {}): SettleGroups<T> {
  const size = opts.size ?? SETTLE_GROUP_SIZE;
  const delayMs = opts.delayMs ?? SETTLE_GROUP_DELAY_MS;
  let pending: T[] = [];
  let timer: NodeJS.Timeout | null = null;
  let settled: Promise<void> = Promise.resolve();

  function cut(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!pending.length) return;
    const group = pending;
    pending = [];
    settled = settled.then(() => settle(group));
    // Seen as handled until done() awaits it: a failure is reported there, not as an unhandled rejection.
    settled.catch(() => undefined);
  }

  return {
    add(item) {
      pending.push(item);
      if (pending.length >= size) cut();
      else timer ??= setTimeout(cut, delayMs);
    },
    async done() {
      cut();
      await settled;
    },
  };
}
