import type { Queue, Worker } from 'bullmq';
import type { Logger } from '../logger';

/**
 * Matching first: while the `tweets` queue has more than `backlog` posts waiting (a flash sale),
 * the given workers (replies, charges) pause in this process, and so does the other work it is
 * given (`alsoPause`: the merchant-event fan-out), so the CPU goes to recording every
 * post's outcome and holding stock, which is what decides who gets the goods. Receipts and
 * sold-out notices follow a few seconds later; X's reply budget would space them out anyway.
 * Paused workers finish their active jobs; they resume once the backlog is at half the mark.
 * An idle worker already blocked waiting for its next job lets that one job through (BullMQ's
 * blocking fetch does not see the pause); every job after it waits.
 */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export function startMatchingFirst(o: { tweets: Queue; workers: Worker[]; alsoPause?: Pausable[]; backlog: number; intervalMs?: number; log: Logger }): { stop(): void } {
  if (o.backlog <= 0) return { stop() {} };
  let paused = false;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const waiting = await o.tweets.getWaitingCount();
      if (!paused && waiting > o.backlog) {
        paused = true;
        for (const p of o.alsoPause ?? []) p.pause();
        await Promise.all(o.workers.map((w) => w.pause(true)));
        o.log.info({ waiting, workers: o.workers.map((w) => w.name) }, 'matching backlog: replies and charges wait until it drains');
      } else if (paused && waiting <= o.backlog / 2) {
        paused = false;
        for (const p of o.alsoPause ?? []) p.resume();
        await Promise.all(o.workers.map((w) => w.resume()));
        o.log.info({ waiting }, 'matching backlog drained: replies and charges resume');
      }
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'matching-first check failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs ?? 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (paused) for (const p of o.alsoPause ?? []) p.resume();
    },
  };
}
