import { Router } from 'express';
import { merchantId } from '../http/auth';
import { unix } from '../http/time';
import { parseBody, pathId } from '../http/validate';
import type { RefundRow } from './refunds.repository';
import { createRefundBody } from './refunds.schema';
import type { RefundsService } from './refunds.service';

export function presentRefund(r: RefundRow) {
  return {
    id: r.id,
    object: 'refund' as const,
    order: r.order_id,
    amount: Number(r.amount),
    currency: r.currency,
    reason: r.reason,
    restock: r.restock,
    status: r.status,
    failure_reason: r.failure_reason,
    stripe_refund: r.stripe_refund_id,
    created: unix(r.created_at)!,
  };
}

/** `/v1/orders/{id}/refunds`: mounted inside the orders router. */
export function refundsRouter(refunds: RefundsService): Router {
  const r = Router({ mergeParams: true });
  r.post('/:id/refunds', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    const body = parseBody(createRefundBody, req.body);
    res.status(201).json(presentRefund(await refunds.refund(merchantId(req), id, body)));
  });
  r.get('/:id/refunds', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    const rows = await refunds.list(merchantId(req), id);
    res.json({ object: 'list', data: rows.map(presentRefund), has_more: false, url: `/v1/orders/${id}/refunds` });
  });
  return r;
}
