import { Router } from 'express';
import { parseBody, parseQuery, pathId } from '../http/validate';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { shownOnce } from '../http/idempotency';
import type { ApiKeyRow, MerchantRow } from './merchants.repository';
import type { MerchantsService } from './merchants.service';
import { effectiveRule, type FeeRule } from './platform-fee';
import { createKeyBody, createMerchantBody, listMerchantsQuery } from './merchants.schema';

export const presentMerchant = (m: MerchantRow, fee: FeeRule & { source: 'platform' | 'merchant' }) => ({
  id: m.id,
  object: 'merchant' as const,
  name: m.name,
  created: unix(m.created_at)!,
  stripe_account: m.stripe_account_id,
  charges_enabled: m.charges_enabled,
  payouts_enabled: m.payouts_enabled,
  details_submitted: m.details_submitted,
  requirements: m.requirements,
  platform_fee: { bps: fee.bps, fixed: fee.fixed, source: fee.source },
});

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
export function merchantsRouter(service: MerchantsService, platformFee: FeeRule): Router {
  const r = Router();
  const present = (m: MerchantRow) => presentMerchant(m, effectiveRule(platformFee, { bps: m.fee_bps, fixed: m.fee_fixed }));
  r.post('/', async (req, res) => {
    const body = parseBody(createMerchantBody, req.body);
    const { merchant, key, secret } = await service.create(body.name);
    shownOnce(res, ['api_key']);
    res.status(201).json({ ...present(merchant), api_key: secret, api_key_id: key.id });
  });
  r.get('/', async (req, res) => {
    const q = parseQuery(listMerchantsQuery, req.query);
    const rows = await service.list(q.limit, q.starting_after);
    res.json(toPage(rows, q.limit, '/v1/merchants', present));
  });
  r.get('/:id', async (req, res) => {
    res.json(present(await service.get(pathId(req.params.id, 'mer', 'merchant'))));
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
