import crypto from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createPool, type Db } from '../../src/db/pool';
import { createApp, type AppDeps } from '../../src/http/app';
import { createTestDatabase, type TestDatabase } from './db';
import { recordResponses, type RecordedResponse } from './openapi-recorder';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestApp {
  app: Express;
  config: Config;
  db: Db;
  redis: Redis;
  database: TestDatabase;
  recorded: RecordedResponse[];
  admin: string;
  createMerchant(name?: string): Promise<{ id: string; apiKey: string }>;
  close(): Promise<void>;
}

/** A unique queue/rate-limit prefix per test file keeps Redis state apart. */
export function testPrefix(): string {
  return `hct${crypto.randomBytes(5).toString('hex')}`;
}

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', QUEUE_PREFIX: testPrefix(), API_RATE_LIMIT_PER_SECOND: '1000', ...env });
}

export async function startTestApp(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...env });
  const db = createPool(database.url, 5);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const log = createLogger(config.LOG_LEVEL);
  const { app, recorded } = recordResponses(createApp({ config, db, redis, log, ...extra }));
  const admin = config.ADMIN_TOKEN;
  return {
    app, config, db, redis, database, recorded, admin,
    async createMerchant(name = 'Test Merchant') {
      const res = await request(app).post('/v1/merchants').set('Authorization', `Bearer ${admin}`).send({ name }).expect(201);
      return { id: res.body.id, apiKey: res.body.api_key };
    },
    async close() {
      await db.end();
      const keys = await redis.keys(`${config.QUEUE_PREFIX}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await database.drop();
    },
  };
}
