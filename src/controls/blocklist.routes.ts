import { Router, type Request } from 'express';
import { merchantId } from '../http/auth';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { parseBody, parseQuery, pathId } from '../http/validate';
import type { BlockRow } from './blocklist.repository';
import { addBlockBody, listBlocksQuery } from './blocklist.schema';
import type { BlockOwner, BlocklistService } from './blocklist.service';

export function presentBlock(b: BlockRow, canceledOrders?: string[]) {
  return {
    id: b.id,
    object: 'blocked_account' as const,
    scope: b.merchant_id === null ? ('operator' as const) : ('merchant' as const),
    x_user_id: b.x_user_id,
    x_username: b.x_username,
    note: b.note,
    created: unix(b.created_at)!,
    ...(canceledOrders ? { canceled_orders: canceledOrders } : {}),
  };
}

/** One router for both lists: the merchant's own (`owner` from the key) or the operator's (null). */
export function blocklistRouter(service: BlocklistService, scope: 'merchant' | 'operator'): Router {
  const r = Router();
  const ownerOf = (req: Request): BlockOwner => (scope === 'operator' ? null : merchantId(req));
  const url = scope === 'operator' ? '/v1/operator/blocklist' : '/v1/blocklist';
  r.post('/', async (req, res) => {
    const body = parseBody(addBlockBody, req.body);
    const { row, inserted, canceledOrders } = await service.add(ownerOf(req), body);
    res.status(inserted ? 201 : 200).json(presentBlock(row, canceledOrders));
  });
  r.get('/', async (req, res) => {
    const q = parseQuery(listBlocksQuery, req.query);
    const rows = await service.list(ownerOf(req), { limit: q.limit, startingAfter: q.starting_after });
    res.json(toPage(rows, q.limit, url, (b) => presentBlock(b)));
  });
  r.delete('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'blk', 'blocked account');
    await service.remove(ownerOf(req), id);
    res.json({ id, object: 'blocked_account' as const, deleted: true as const });
  });
  return r;
}
