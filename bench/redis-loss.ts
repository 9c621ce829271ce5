import { Redis } from 'ioredis';
import { REDIS_URL, type BenchStack } from './stack';
import { setupShop, Poster, drained, emulatorSummary, sleep } from './driver';
import { round } from './measure';
import { loseRedis as dropPrefix } from '../test/support/redis-loss';

/**
 * Scenario `redis-loss`: posts stream in; halfway through, Redis loses everything of the
 * deployment (every key under its prefix: queued and running jobs, the lease, the locks), as a
 * restart without persistence would; posts keep coming. Reported: whether every post got its
 * outcome, how many were lost or charged twice, and how long after Redis came back (empty) the
 * pipeline was settled. The sweep delay is short here so the run does not wait out the default.
 */
export const REDIS_LOSS_ENV: Record<string, string> = { SWEEP_STALE_AFTER_SECONDS: '10', MAINTENANCE_INTERVAL_MS: '5000' };

/** FLUSHALL for one deployment on a shared Redis (the same atomic script the tests use). */
async function loseRedis(prefix: string): Promise<number> {
  const r = new Redis(REDIS_URL);
  try {
    return await dropPrefix(r, prefix);
  } finally {
    r.disconnect();
  }
}

interface LossArgs { posts?: number; rate?: number; buyers?: number; quick: boolean }

export async function redisLossDrive(s: BenchStack, a: LossArgs, begin: () => Promise<void>) {
  const posts = a.posts ?? 5000;
  const rate = a.rate ?? 250;
  const shop = await setupShop(s, { buyers: a.buyers ?? (a.quick ? 10 : 300), inventory: null });
  const poster = new Poster(s, shop);
  await begin();
  const half = Math.floor(posts / 2);
  await poster.paced(rate, half / rate);

  const lostAt = Date.now();
  const keysDropped = await loseRedis(s.prefix);
  const atLoss = (await s.db.query(`SELECT (SELECT count(*)::int FROM posts) AS with_outcome,
      (SELECT array_agg(i.tweet_id) FROM post_inbox i WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.tweet_id = i.tweet_id)) AS stranded`)).rows[0] as { with_outcome: number; stranded: string[] | null };
  const stranded = atLoss.stranded ?? [];

  // The rest at the same pace.
  const perTick = Math.max(1, Math.round(rate / 20));
  while (poster.sent < posts) {
    await poster.post(Math.min(perTick, posts - poster.sent));
    await sleep(50);
  }
  const lastPostAt = Date.now();
  const settled = await drained(s, poster.sent, 600_000);
  const settledAt = Date.now();

  const outcomes = (await s.db.query(`SELECT count(*)::int AS n FROM posts`)).rows[0] as { n: number };
  const doubled = Object.values((await emulatorSummary(s)).succeeded).filter((n) => n > 1).length;
  // posts.received_at is when the outcome was recorded; orders.paid_at when the charge settled.
  const after = (await s.db.query(`SELECT
      (SELECT extract(epoch FROM max(received_at)) * 1000 FROM posts) AS all_outcomes,
      (SELECT extract(epoch FROM max(received_at)) * 1000 FROM posts WHERE tweet_id = ANY($1)) AS stranded_outcomes,
      (SELECT extract(epoch FROM max(paid_at)) * 1000 FROM orders WHERE tweet_id = ANY($1)) AS stranded_paid`, [stranded])).rows[0] as Record<string, string | null>;
  const sinceLoss = (ms: string | null | undefined) => (ms ? round((Number(ms) - lostAt) / 1000, 1) : null);
  return {
    sent: poster.sent,
    postsPerS: (sp: Record<string, number | null>) => round(poster.sent / (sp.all_replied_s ?? Infinity), 1),
    extra: {
      redis_loss: {
        posts_sent: poster.sent,
        lost_at_post: half,
        keys_dropped: keysDropped,
        at_loss: { posts_sent: half, with_outcome: atLoss.with_outcome, in_inbox_without_outcome: stranded.length },
        // Seconds after Redis came back empty: the posts it stranded decided and charged, every post decided.
        stranded_outcomes_after_redis_returned_s: sinceLoss(after.stranded_outcomes),
        stranded_paid_after_redis_returned_s: sinceLoss(after.stranded_paid),
        all_outcomes_after_redis_returned_s: sinceLoss(after.all_outcomes),
        every_post_has_outcome: outcomes.n === poster.sent,
        lost: poster.sent - outcomes.n,
        doubled,
        settled,
        settled_after_redis_returned_s: settled ? round((settledAt - lostAt) / 1000, 1) : null,
        settled_after_last_post_s: settled ? round((settledAt - lastPostAt) / 1000, 1) : null,
        sweep: REDIS_LOSS_ENV,
      },
    },
  };
}
