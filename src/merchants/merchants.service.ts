import type { Db } from '../db/pool';
import { withTransaction } from '../db/pool';
import { newId, randomBase62 } from '../ids';
import { hashApiKey } from '../http/auth';
import { errors } from '../http/errors';
import * as repo from './merchants.repository';

export interface MerchantsService {
  create(name: string): Promise<{ merchant: repo.MerchantRow; key: repo.ApiKeyRow; secret: string }>;
  get(id: string): Promise<repo.MerchantRow>;
  list(limit: number, startingAfter?: string): Promise<repo.MerchantRow[]>;
  issueKey(merchantId: string): Promise<{ key: repo.ApiKeyRow; secret: string }>;
  listKeys(merchantId: string, limit: number, startingAfter?: string): Promise<repo.ApiKeyRow[]>;
  revokeKey(merchantId: string, keyId: string): Promise<repo.ApiKeyRow>;
}

export function createMerchantsService(db: Db, mode: 'test' | 'live'): MerchantsService {
  function mintKey(merchantId: string) {
    const secret = `hck_${mode}_${randomBase62(32)}`;
    return { secret, row: { id: newId('key'), merchantId, hash: hashApiKey(secret), hint: `hck_${mode}_…${secret.slice(-4)}`, mode } };
  }

  async function get(id: string) {
    const m = await repo.findMerchant(db, id);
    if (!m) throw errors.notFound('merchant', id);
    return m;
  }

  return {
    async create(name) {
      return withTransaction(db, async (tx) => {
        const merchant = await repo.insertMerchant(tx, newId('mer'), name);
        const { secret, row } = mintKey(merchant.id);
        const key = await repo.insertApiKey(tx, row);
        return { merchant, key, secret };
      });
    },
    get,
    list: (limit, startingAfter) => repo.listMerchants(db, limit, startingAfter),
    async issueKey(merchantId) {
      await get(merchantId);
      const { secret, row } = mintKey(merchantId);
      return { key: await repo.insertApiKey(db, row), secret };
    },
    async listKeys(merchantId, limit, startingAfter) {
      await get(merchantId);
      return repo.listApiKeys(db, merchantId, limit, startingAfter);
    },
    async revokeKey(merchantId, keyId) {
      const key = await repo.revokeApiKey(db, merchantId, keyId);
      if (!key) throw errors.notFound('api key', keyId);
      return key;
    },
  };
}
