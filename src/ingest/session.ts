import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import { liveHashtags } from '../products/products.repository';
import type { StreamHandle, XIngestError, XIngestPort } from '../x/x.ingest';
import type { InboundPost, RateLimitInfo } from '../x/x.port';
import { Backoff, paceDelay, sleep, type BackoffOptions } from './backoff';
import type { Cursor } from './cursor';
import { compareIds, maxId, minId, snowflakeAt } from './ids';
import { syncStreamRules } from './rule-sync';
import { searchQueries } from './rules';
import { PostSink, SINK_BATCH } from './sink';
import type { Queue } from 'bullmq';

const RECENT_SEARCH_WINDOW_MS = 7 * 24 * 3600_000 - 5 * 60_000;

export interface IngestOptions {
  leaseTtlMs: number;
  leaseRenewMs: number;
  standbyPollMs: number;
  /** Silence (no post, no keep-alive) longer than this is a disconnect. X sends a keep-alive every 20 s. */
  keepAliveTimeoutMs: number;
  rulesResyncMs: number;
  rulesDebounceMs: number;
  pollIntervalMinMs: number;
  /** Search requests left for other users of the app's budget (reply look-ups). */
  searchReserve: number;
  /** A connection that lived this long resets the back-off. */
  stableAfterMs: number;
  connectTimeoutMs: number;
  backoff: BackoffOptions;
}

export interface IngestStatus {
  instanceId: string;
  mode: 'stream' | 'poll';
  active: boolean;
  connected: boolean;
  cursor: string | null;
  rules: number | null;
  connects: number;
  disconnects: number;
  lastDisconnectReason: string | null;
  lastConnectedAt: string | null;
  /** Delay of the reconnect or poll now waited for. */
  waitingMs: number | null;
  streamed: number;
  backfilled: number;
  polled: number;
  lastError: string | null;
}

export interface SessionDeps {
  config: Config;
  db: Db;
  port: XIngestPort;
  queue: Queue;
  cursor: Cursor;
  log: Logger;
  options: IngestOptions;
  status: IngestStatus;
}

/** Everything an instance does while it holds the lease. stop() ends it at once. */
export class ActiveSession {
  private readonly abort = new AbortController();
  private readonly sink: PostSink;
  private readonly backoff: Backoff;
  private stream: StreamHandle | null = null;
  private done: Promise<void> = Promise.resolve();
  private debounce: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private syncRunning: Promise<void> | null = null;
  private syncQueued: Promise<void> | null = null;
  private backfillFrom: string | null = null;
  private backfilling = false;
  private readonly mention: string | null;
  /** Taken when the lease was won: a first-ever cursor starts here, not at the first request. */
  private readonly activatedAt = Date.now();

  constructor(private readonly d: SessionDeps) {
    this.sink = new PostSink(d.db, d.queue, d.cursor, d.log, this.abort.signal, { size: d.config.INGEST_BATCH_SIZE, waitMs: d.config.INGEST_BATCH_WAIT_MS });
    this.backoff = new Backoff(d.options.backoff);
    this.mention = d.config.REQUIRE_MENTION ? d.config.X_SHOP_USERNAME : null;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  start(): void {
    this.done = (this.d.config.X_INGEST_MODE === 'poll' ? this.pollLoop() : this.streamLoop()).catch((err) => {
      this.d.log.error({ err }, 'ingest: session failed');
    });
  }

  /** flush: queue what is in the inbox but not queued yet (a crash does not). */
  async stop(flush = true): Promise<void> {
    this.abort.abort();
    clearTimeout(this.debounce);
    clearInterval(this.resync);
    this.stream?.close();
    this.stream = null;
    this.d.status.connected = false;
    await this.done;
    if (flush) await this.sink.flush(2_000);
  }

  requestRuleSync(): void {
    if (this.signal.aborted || this.d.config.X_INGEST_MODE !== 'stream') return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.syncRulesNow().catch(() => undefined), this.d.options.rulesDebounceMs);
  }

  /** Single flight: a request during a sync runs once more after it, never in parallel. */
  syncRulesNow(): Promise<void> {
    if (this.signal.aborted || this.d.config.X_INGEST_MODE !== 'stream') return Promise.resolve();
    if (this.syncQueued) return this.syncQueued;
    if (!this.syncRunning) {
      this.syncRunning = this.syncOnce().finally(() => {
        this.syncRunning = null;
      });
      return this.syncRunning;
    }
    this.syncQueued = this.syncRunning.catch(() => undefined).then(() => {
      this.syncQueued = null;
      return this.syncRulesNow();
    });
    return this.syncQueued;
  }

  private async syncOnce(): Promise<void> {
    try {
      const hashtags = await liveHashtags(this.d.db);
      if (this.signal.aborted) return;
      const r = await syncStreamRules(this.d.port, hashtags, this.mention, this.d.log, this.d.config.X_STREAM_MAX_RULES, this.d.config.X_SHOP_USERNAME);
      this.d.status.rules = r.total;
      if (r.added || r.removed) this.d.log.info({ added: r.added, removed: r.removed, rules: r.total }, `ingest: rules synced +${r.added}/-${r.removed}`);
    } catch (err) {
      this.d.status.lastError = (err as Error).message;
      this.d.log.warn({ err: (err as Error).message }, 'ingest: rule sync failed; retrying at the next resync');
      throw err;
    }
  }

  /** First activation ever: start from now, so a successor has a since_id to backfill from. */
  private async since(): Promise<string> {
    const s = (await this.d.cursor.get()) ?? (await this.d.cursor.seed(snowflakeAt(this.activatedAt)));
    this.d.status.cursor = s;
    return s;
  }

  private aborted(): Promise<null> {
    return new Promise((resolve) => {
      if (this.signal.aborted) resolve(null);
      else this.signal.addEventListener('abort', () => resolve(null), { once: true });
    });
  }

  private async wait(ms: number, what: string): Promise<boolean> {
    this.d.status.waitingMs = ms;
    this.d.log.info({ delayMs: ms }, `ingest: ${what} in ${ms} ms`);
    const ok = await sleep(ms, this.signal);
    this.d.status.waitingMs = null;
    return ok;
  }

  // ---- stream mode ----

  private async streamLoop(): Promise<void> {
    const { options, status, log, port } = this.d;
    await this.syncRulesNow().catch(() => undefined);
    this.resync = setInterval(() => void this.syncRulesNow().catch(() => undefined), options.rulesResyncMs);
    while (!this.signal.aborted) {
      const since = await this.since();
      let disconnected!: (reason: string) => void;
      const ended = new Promise<string>((resolve) => (disconnected = resolve));
      try {
        const connecting = port.connectStream(
          { onPost: (p) => this.onStreamPost(p), onDisconnect: (reason) => disconnected(reason) },
          { keepAliveTimeoutMs: options.keepAliveTimeoutMs, connectTimeoutMs: options.connectTimeoutMs },
        );
        // stop() must not wait for a slow connect: close whatever it yields later.
        const handle = await Promise.race([connecting, this.aborted()]);
        if (!handle) {
          void connecting.then((h) => h.close(), () => undefined);
          break;
        }
        this.stream = handle;
      } catch (e) {
        const err = e as XIngestError;
        status.lastError = err.message;
        log.warn({ kind: err.kind, status: err.status }, `ingest: stream connect failed: ${err.message}`);
        if (!(await this.wait(this.backoff.next(err.kind), 'stream reconnect'))) break;
        continue;
      }
      const connectedAt = Date.now();
      status.connected = true;
      status.connects++;
      status.lastConnectedAt = new Date(connectedAt).toISOString();
      log.info({ since }, 'ingest: stream connected');
      // Connected first, then search: whatever the gap missed is found, nothing after it is.
      this.scheduleBackfill(since);
      const reason = (await Promise.race([ended, this.aborted()])) ?? 'stopped';
      this.stream?.close();
      this.stream = null;
      status.connected = false;
      if (this.signal.aborted) break;
      status.disconnects++;
      status.lastDisconnectReason = reason;
      log.warn({ reason }, `ingest: stream disconnected: ${reason}`);
      if (Date.now() - connectedAt >= options.stableAfterMs) this.backoff.reset();
      if (!(await this.wait(this.backoff.next('network'), 'stream reconnect'))) break;
    }
  }

  private onStreamPost(post: InboundPost): void {
    if (this.signal.aborted) return;
    this.sink.push(post);
    this.d.status.streamed++;
  }

  /** One backfill at a time; a later gap widens the pending one instead of racing it. */
  private scheduleBackfill(since: string): void {
    this.backfillFrom = minId(this.backfillFrom, since);
    if (this.backfilling) return;
    this.backfilling = true;
    this.sink.openBackfill();
    void this.backfillLoop();
  }

  private async backfillLoop(): Promise<void> {
    const retry = new Backoff(this.d.options.backoff);
    let highest: string | null = null;
    let ok = false;
    try {
      while (this.backfillFrom && !this.signal.aborted) {
        const from = this.backfillFrom;
        this.backfillFrom = null;
        try {
          const r = await this.searchSince(from);
          highest = maxId(highest, r.highest);
          this.d.status.backfilled += r.count;
          this.d.log.info({ since: from, posts: r.count }, `ingest: backfilled ${r.count} posts`);
          ok = true;
        } catch (e) {
          ok = false;
          const err = e as XIngestError;
          this.backfillFrom = minId(this.backfillFrom, from);
          this.d.status.lastError = err.message;
          const ms = err.kind === 'rate_limit' && err.rateLimit ? Math.max(err.rateLimit.resetAt - Date.now(), 1000) : retry.next(err.kind ?? 'network');
          this.d.log.warn({ kind: err.kind }, `ingest: backfill failed (${err.message}); retry in ${ms} ms`);
          if (!(await sleep(ms, this.signal))) break;
        }
      }
    } finally {
      this.backfilling = false;
      await this.sink.closeBackfill(ok && !this.signal.aborted, highest);
      if (ok) this.d.status.cursor = await this.d.cursor.get().catch(() => this.d.status.cursor);
    }
  }

  /**
   * Recent search since `since` over every live hashtag. X answers newest first; the posts found
   * are handed on oldest first once the search is complete, so an original is matched before its
   * edit and an earlier buyer before a later one, as on the stream. `pace` runs between requests
   * (not before the first): poll mode spreads them over the window.
   */
  private async searchSince(
    since: string,
    pace?: (rl: RateLimitInfo | null) => Promise<boolean>,
  ): Promise<{ count: number; highest: string | null; rateLimit: RateLimitInfo | null }> {
    const queries = searchQueries(await liveHashtags(this.d.db), this.mention, this.d.config.X_SHOP_USERNAME);
    // Recent search covers 7 days and refuses an older since_id: start at its horizon instead.
    since = maxId(since, snowflakeAt(Date.now() - RECENT_SEARCH_WINDOW_MS)) ?? since;
    let count = 0;
    let highest: string | null = null;
    let lastRate: RateLimitInfo | null | undefined;
    const found = new Map<string, InboundPost>();
    for (const query of queries) {
      let nextToken: string | undefined;
      do {
        if (this.signal.aborted) throw Object.assign(new Error('stopped'), { kind: 'network' });
        if (pace && lastRate !== undefined && !(await pace(lastRate))) throw Object.assign(new Error('stopped'), { kind: 'network' });
        const page = await this.d.port.searchRecent(query, nextToken ? { sinceId: since, nextToken } : { sinceId: since });
        for (const p of page.posts) found.set(p.id, p);
        count += page.posts.length;
        for (const p of page.posts) highest = maxId(highest, p.id);
        nextToken = page.nextToken;
        lastRate = page.rateLimit;
      } while (nextToken);
    }
    const oldestFirst = [...found.values()].sort((a, b) => compareIds(a.id, b.id));
    for (let i = 0; i < oldestFirst.length; i += SINK_BATCH) await this.sink.enqueueNow(oldestFirst.slice(i, i + SINK_BATCH));
    return { count, highest, rateLimit: lastRate ?? null };
  }

  // ---- poll mode ----

  private async pollLoop(): Promise<void> {
    const { options, status, log } = this.d;
    const retry = new Backoff(options.backoff);
    let delay: number;
    log.info('ingest: polling recent search');
    while (!this.signal.aborted) {
      try {
        const since = await this.since();
        const r = await this.searchSince(since, async (rl) => {
          // Between pages and queries of one cycle: stay within the window's budget too.
          const ms = paceDelay(rl, 0, options.searchReserve);
          return ms ? sleep(ms, this.signal) : true;
        });
        if (r.highest) status.cursor = await this.d.cursor.advance(r.highest);
        status.polled += r.count;
        if (r.count) log.info({ posts: r.count, since }, `ingest: polled ${r.count} posts`);
        retry.reset();
        delay = paceDelay(r.rateLimit, options.pollIntervalMinMs, options.searchReserve);
        status.connected = true;
      } catch (e) {
        if (this.signal.aborted) break;
        const err = e as XIngestError;
        status.connected = false;
        status.lastError = err.message;
        delay = err.kind === 'rate_limit' && err.rateLimit && err.rateLimit.resetAt > Date.now()
          ? Math.min(err.rateLimit.resetAt - Date.now() + 250, options.backoff.rateLimitMaxMs)
          : retry.next(err.kind ?? 'network');
        log.warn({ kind: err.kind }, `ingest: poll failed (${err.message}); next poll in ${delay} ms`);
      }
      status.waitingMs = delay;
      if (!(await sleep(delay, this.signal))) break;
      status.waitingMs = null;
    }
  }
}
