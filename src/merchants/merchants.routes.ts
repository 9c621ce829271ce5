import { Router } from 'express';
import { parseBody, parseQuery, pathId } from '../http/validate';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { shownOnce } from '../http/idempotency';
import type { ApiKeyRow, MerchantRow } from './merchants.repository';
import type { MerchantsService } from './merchants.service';
import { createKeyBody, createMerchantBody, listMerchantsQuery } from './merchants.schema';

export const presentMerchant = (m: MerchantRow) => ({ id: m.id, object: 'merchant' as const, name: m.name, created: unix(m.created_at)! });

export const presentKey = (k: ApiKeyRow) => ({
  id: k.id,
  object: 'api_key' as const,
  merchant: k.merchant_id,
  mode: k.mode,
  hint: k.hint,
  created: unix(k.created_at)!,
  revoked: unix(k.revoked_at),
});

/** Operator endpoints; the caller mounts them behind requireAdmin. */
export function merchantsRouter(service: MerchantsService): Router {
  const r = Router();
  r.post('/', async (req, res) => {
    const body = parseBody(createMerchantBody, req.body);
    const { merchant, key, secret } = await service.create(body.name);
    shownOnce(res, ['api_key']);
    res.status(201).json({ ...presentMerchant(merchant), api_key: secret, api_key_id: key.id });
  });
  r.get('/', async (req, res) => {
    const q = parseQuery(listMerchantsQuery, req.query);
    const rows = await service.list(q.limit, q.starting_after);
    res.json(toPage(rows, q.limit, '/v1/merchants', presentMerchant));
  });
  r.get('/:id', async (req, res) => {
    res.json(presentMerchant(await service.get(pathId(req.params.id, 'mer', 'merchant'))));
  });
  r.post('/:id/api_keys', async (req, res) => {
    parseBody(createKeyBody, req.body);
    const { key, secret } = await service.issueKey(pathId(req.params.id, 'mer', 'merchant'));
    shownOnce(res, ['secret']);
    res.status(201).json({ ...presentKey(key), secret });
  });
  r.get('/:id/api_keys', async (req, res) => {
    const id = pathId(req.params.id, 'mer', 'merchant');
    const q = parseQuery(listMerchantsQuery, req.query);
    const rows = await service.listKeys(id, q.limit, q.starting_after);
    res.json(toPage(rows, q.limit, `/v1/merchants/${id}/api_keys`, presentKey));
  });
  r.delete('/:id/api_keys/:keyId', async (req, res) => {
    const key = await service.revokeKey(pathId(req.params.id, 'mer', 'merchant'), pathId(req.params.keyId, 'key', 'api key'));
    res.json(presentKey(key));
  });
  return r;
}
