import { UnrecoverableError, type Job } from 'bullmq';
import { QUEUE_NAMES, type QueueKey } from './queues';
import { JOB_KINDS, JobRegistryError, type AnyJobKind } from './registry';

export type JobProcessor = (job: Job, token?: string) => Promise<unknown>;

/** One job name on one queue and the processor that runs it. */
export interface JobHandler {
  queue: QueueKey;
  name: string;
  process: JobProcessor;
}

/** Handlers for every name of a kind of job, all run by one processor. */
export function handle(kind: AnyJobKind, process: JobProcessor): JobHandler[] {
  return kind.names.map((name) => ({ queue: kind.queue, name, process }));
}

/**
 * The start-up check: every job name in the registry has exactly one processor, and no processor
 * waits for a name the registry does not know (it would never get a job; a job added under a name
 * without a processor would fail). Throws one error listing every problem.
 */
export function checkHandlers(handlers: JobHandler[], kinds: readonly AnyJobKind[] = JOB_KINDS): void {
  const known = new Set(kinds.flatMap((k) => k.names.map((name) => `${QUEUE_NAMES[k.queue]}/${name}`)));
  const counts = new Map<string, number>();
  for (const h of handlers) counts.set(`${QUEUE_NAMES[h.queue]}/${h.name}`, (counts.get(`${QUEUE_NAMES[h.queue]}/${h.name}`) ?? 0) + 1);
  const problems: string[] = [];
  for (const name of known) if (!counts.has(name)) problems.push(`no processor for job ${name}`);
  for (const [name, count] of counts) {
    if (!known.has(name)) problems.push(`a processor for job ${name}, which the registry does not know`);
    else if (count > 1) problems.push(`${count} processors for job ${name}`);
  }
  if (problems.length) throw new JobRegistryError(`job registry and processors disagree: ${problems.join('; ')}`);
}

/**
 * The processor of a queue's Worker: runs each job by its name. A name without a processor is a
 * job no retry can help (added by other code, or by an older or newer release): it fails for good.
 */
export function routeByName(queue: QueueKey, handlers: JobHandler[]): JobProcessor {
  const byName = new Map(handlers.filter((h) => h.queue === queue).map((h) => [h.name, h.process]));
  return (job, token) => {
    const process = byName.get(job.name);
    if (!process) return Promise.reject(new UnrecoverableError(`no processor for job "${job.name}" on queue ${QUEUE_NAMES[queue]}`));
    return process(job, token);
  };
}
