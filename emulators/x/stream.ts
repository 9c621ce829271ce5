import type { Request, Response } from 'express';
import { buildIncludes, renderTweet, type RenderParams } from './render';
import type { PostRecord, Store } from './store';
import type { Logger } from './logger';

export type DisconnectKind = 'operational' | 'replaced' | 'abrupt' | 'slow_reader';

const CHUNK_BYTES = 64 * 1024;
// X drops readers that fall too far behind; well above what the 10k-post benchmark queues.
const SLOW_READER_BYTES = 256 * 1024 * 1024;

function disconnectMessage(kind: DisconnectKind): string {
  const reasons: Record<Exclude<DisconnectKind, 'abrupt'>, [string, string]> = {
    operational: ['UpstreamOperationalDisconnect', 'This stream has been disconnected upstream for operational reasons.'],
    replaced: ['ForceDisconnect', 'This stream has been disconnected because a new connection was established for this app.'],
    slow_reader: ['SlowReader', 'This stream has been disconnected because your client was unable to keep up with the rate of new Posts.'],
  };
  const [disconnectType, detail] = reasons[kind as Exclude<DisconnectKind, 'abrupt'>] ?? reasons.operational;
  return JSON.stringify({
    errors: [{
      title: 'operational-disconnect',
      disconnect_type: disconnectType,
      detail,
      type: 'https://api.twitter.com/2/problems/operational-disconnect',
    }],
  });
}

/**
 * One open filtered-stream response. Messages queue in memory and are written in batches
 * of up to 64 KiB; while the socket reports backpressure nothing more is written until 'drain'.
 */
class StreamConnection {
  readonly connectedAt = new Date().toISOString();
  private pending: string[] = [];
  private pendingBytes = 0;
  private waitingDrain = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  closed = false;
  delivered = 0;

  constructor(
    private readonly res: Response,
    readonly params: RenderParams,
    keepAliveMs: number,
    private readonly onSlow: () => void,
  ) {
    this.setKeepAlive(keepAliveMs);
  }

  setKeepAlive(ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.keepAlive(), ms);
  }

  private keepAlive(): void {
    // A keep-alive must arrive as its own chunk: twitter-api-v2 only recognises a chunk that is exactly "\r\n".
    if (this.closed || this.waitingDrain || this.pending.length) return;
    this.res.write('\r\n');
  }

  enqueue(message: string): void {
    if (this.closed) return;
    const line = `${message}\r\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.delivered++;
    if (this.pendingBytes > SLOW_READER_BYTES) {
      this.onSlow();
      return;
    }
    if (!this.scheduled && !this.waitingDrain) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    while (!this.closed && this.pending.length && !this.waitingDrain) {
      let size = 0;
      let n = 0;
      while (n < this.pending.length && (n === 0 || size + (this.pending[n]?.length ?? 0) <= CHUNK_BYTES)) {
        size += this.pending[n]?.length ?? 0;
        n++;
      }
      const chunk = this.pending.splice(0, n).join('');
      this.pendingBytes -= size;
      if (!this.res.write(chunk)) {
        this.waitingDrain = true;
        this.res.once('drain', () => {
          this.waitingDrain = false;
          this.flush();
        });
      }
    }
  }

  queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Ends the response; undelivered messages are lost, as on X. */
  end(kind: DisconnectKind): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.pending = [];
    this.pendingBytes = 0;
    if (kind === 'abrupt') {
      this.res.socket?.destroy();
      return;
    }
    this.res.end(`${disconnectMessage(kind)}\r\n`);
  }

  gone(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

export interface StreamStatus {
  connected: boolean;
  connected_at: string | null;
  connections_total: number;
  disconnects_total: number;
  delivered_total: number;
  delivered_current: number;
  queued_bytes: number;
  keep_alive_ms: number;
}

/** The app's single filtered-stream slot: a new connection replaces the current one. */
export class StreamHub {
  private conn: StreamConnection | null = null;
  private connections = 0;
  private disconnects = 0;
  private delivered = 0;

  constructor(private readonly store: Store, private keepAliveMs: number, private readonly logger: Logger) {}

  attach(req: Request, res: Response, params: RenderParams): void {
    if (this.conn) this.drop('replaced');
    res.status(200);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-store');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const conn: StreamConnection = new StreamConnection(res, params, this.keepAliveMs, () => {
      this.logger.warn('x-emulator: stream reader too slow, disconnecting');
      if (this.conn === conn) this.drop('slow_reader');
    });
    this.conn = conn;
    this.connections++;
    this.logger.info('x-emulator: stream connected');
    req.on('close', () => {
      conn.gone();
      if (this.conn === conn) {
        this.conn = null;
        this.disconnects++;
        this.logger.info('x-emulator: stream client went away');
      }
    });
  }

  deliver(post: PostRecord, matchingRules: Array<{ id: string; tag?: string }>): boolean {
    const conn = this.conn;
    if (!conn || conn.closed) return false;
    const message: Record<string, unknown> = { data: renderTweet(post, conn.params.tweetFields) };
    const includes = buildIncludes(this.store, [post], conn.params);
    if (includes) message.includes = includes;
    message.matching_rules = matchingRules.map((r) => (r.tag === undefined ? { id: r.id } : { id: r.id, tag: r.tag }));
    conn.enqueue(JSON.stringify(message));
    this.delivered++;
    return true;
  }

  drop(kind: DisconnectKind): boolean {
    const conn = this.conn;
    if (!conn) return false;
    this.conn = null;
    this.disconnects++;
    conn.end(kind);
    this.logger.info(`x-emulator: stream disconnected (${kind})`);
    return true;
  }

  setKeepAlive(ms: number): void {
    this.keepAliveMs = ms;
    this.conn?.setKeepAlive(ms);
  }

  status(): StreamStatus {
    return {
      connected: Boolean(this.conn),
      connected_at: this.conn?.connectedAt ?? null,
      connections_total: this.connections,
      disconnects_total: this.disconnects,
      delivered_total: this.delivered,
      delivered_current: this.conn?.delivered ?? 0,
      queued_bytes: this.conn?.queuedBytes() ?? 0,
      keep_alive_ms: this.keepAliveMs,
    };
  }

  resetCounters(): void {
    this.connections = 0;
    this.disconnects = 0;
    this.delivered = 0;
  }
}
