import type { Redis } from 'ioredis';
import type { Config } from './config';
import type { Logger } from './logger';
import { createPool, type Db } from './db/pool';
import { createRedis } from './redis';
import { createQueues, closeQueues, type Queues } from './queue/queues';
import { createStripeAdapter } from './payments/stripe.adapter';
import type { PaymentsPort } from './payments/payments.port';
import { createXPorts, type XPorts } from './x/x.adapter';
import type { XRepliesPort } from './x/x.port';
import { createLinkSigner, type LinkSigner } from './links/links';
import { createChargingService, type ChargingService } from './orders/charging.service';
import { createChargeSplitter } from './merchants/charge-split';
import { createCancelPath } from './posts/cancel-request';
import { createMatchingService, type MatchingService } from './posts/matching.service';
import { createBuyersService, type BuyersService } from './buyers/buyers.service';
import { createAccountFactsSource } from './review/account-facts';
import type { WaitlistDeps } from './waitlist/promotion';
import { combinePaths, createConfirmPath } from './posts/confirm-request';

/** Everything the roles share, built once per process from the config. */
export interface Runtime {
  config: Config;
  log: Logger;
  db: Db;
  redis: Redis;
  queues: Queues;
  payments: PaymentsPort;
  /** X through our ports only (replies, ingest, user look-up). */
  x: XPorts;
  xReplies: XRepliesPort;
  signer: LinkSigner;
  /** What promoting a waitlist needs (signup links for buyers without a card). */
  waitlist: WaitlistDeps;
  charging: ChargingService;
  buyers: BuyersService;
  matching: (shopUserId: string | null) => MatchingService;
  close(): Promise<void>;
}

export function createRuntime(config: Config, log: Logger, databaseUrl: string, role: string): Runtime {
  // The embedded PGlite (no DATABASE_URL) serves every connection from one session: no named statements there.
  const db = createPool(databaseUrl, config.DATABASE_POOL_SIZE, log, { prepare: Boolean(config.DATABASE_URL) && config.DATABASE_PREPARED_STATEMENTS });
  const redis = createRedis(config.REDIS_URL, { connectionName: `hc-${role}` });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  // BullMQ does not close a connection it was handed: close() below does.
  const queueConnection = createRedis(config.REDIS_URL, { connectionName: `hc-${role}-queues` });
  queueConnection.on('error', (err) => log.warn({ err: err.message }, 'redis connection error (queues)'));
  const queues = createQueues(queueConnection, config.QUEUE_PREFIX, { repliesBatchSize: config.REPLIES_BATCH_SIZE });
  const payments = createStripeAdapter({
    secretKey: config.STRIPE_SECRET_KEY!,
    webhookSecret: () => config.STRIPE_WEBHOOK_SECRET,
    connectWebhookSecret: () => config.STRIPE_CONNECT_WEBHOOK_SECRET,
    apiBase: config.STRIPE_API_BASE,
  });
  const x = createXPorts({
    bearerToken: config.X_BEARER_TOKEN!,
    userTokens: { appKey: config.X_API_KEY!, appSecret: config.X_API_SECRET!, accessToken: config.X_ACCESS_TOKEN!, accessSecret: config.X_ACCESS_SECRET! },
    shopUsername: config.X_SHOP_USERNAME,
    apiBase: config.X_API_BASE,
    timeoutMs: config.X_TIMEOUT_MS,
  });
  const signer = createLinkSigner(config.SIGNING_SECRET);
  const splitter = createChargeSplitter(db, { bps: config.PLATFORM_FEE_BPS, fixed: config.PLATFORM_FEE_FIXED });
  const charging = createChargingService({
    db, payments, signer, publicBaseUrl: config.PUBLIC_BASE_URL, log, actionTtlHours: config.ACTION_TTL_HOURS, signupTtlHours: config.SIGNUP_TTL_HOURS, splitter,
  });
  const waitlist: WaitlistDeps = { signer, publicBaseUrl: config.PUBLIC_BASE_URL, signupTtlHours: config.SIGNUP_TTL_HOURS };
  const buyers = createBuyersService({ db, payments, charging, log });
  const accountFacts = createAccountFactsSource({ db, x, log });
  return {
    config, log, db, redis, queues, payments, x, signer, waitlist, charging, buyers,
    xReplies: x.replies,
    matching: (shopUserId) => {
      const buyerReplies = { db, publicBaseUrl: config.PUBLIC_BASE_URL, shopUsername: config.X_SHOP_USERNAME, shopUserId, requireMention: config.REQUIRE_MENTION, waitlist };
      return createMatchingService({
        db, signer, publicBaseUrl: config.PUBLIC_BASE_URL, shopUsername: config.X_SHOP_USERNAME, shopUserId,
        requireMention: config.REQUIRE_MENTION, signupTtlHours: config.SIGNUP_TTL_HOURS, accountFacts,
        // #cancel and #confirm are reserved (no product may use them): such a post is a buyer answering about an order.
        separate: combinePaths([createCancelPath(buyerReplies), createConfirmPath(buyerReplies)]),
      });
    },
    async close() {
      await closeQueues(queues);
      queueConnection.disconnect();
      await db.end();
      redis.disconnect();
    },
  };
}
