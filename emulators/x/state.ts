import type { FaultInjector } from './faults';
import type { Logger } from './logger';
import type { RateLimiter } from './ratelimit';
import type { Store } from './store';
import type { StreamHub } from './stream';

export interface RuntimeConfig {
  keepAliveMs: number;
  requireMentionForReplies: boolean;
  rejectDuplicateContent: boolean;
}

export interface OAuth2Client { clientId: string; clientSecret?: string; redirectUris?: string[] }

/** Everything route modules share; one per emulator instance. */
export interface EmulatorState {
  store: Store;
  hub: StreamHub;
  limiter: RateLimiter;
  faults: FaultInjector;
  config: RuntimeConfig;
  logger: Logger;
  deadTokens: Set<string>;
  oauth2Clients?: OAuth2Client[];
  bearerTokens?: string[];
  consumerKey?: string;
  consumerSecret?: string;
  publicUrl: () => string;
}
