import { Router } from 'express';
import type { Db } from '../db/pool';
import { merchantId } from '../http/auth';
import { errors } from '../http/errors';
import { parseBody, pathId } from '../http/validate';
import { presentOrder } from '../orders/orders.routes';
import { reviewRulesSchema, storedRules } from './review-rules';
import * as repo from './review.repository';
import { approveBody, bulkApproveBody, bulkRejectBody, rejectBody } from './review.schema';
import type { BulkResult, ReviewService } from './review.service';

function presentBulk(results: BulkResult[], done: 'approved' | 'rejected') {
  return {
    object: 'list' as const,
    data: results.map((r) => (r.ok
      ? { id: r.id, result: done, order: presentOrder(r.order) }
      : { id: r.id, result: 'error' as const, error: { status: r.error.status, code: r.error.code, detail: r.error.detail } })),
  };
}

/** Mounted beside the orders router: /v1/orders/{id}/approve|reject and the bulk forms. */
export function reviewOrdersRouter(service: ReviewService): Router {
  const r = Router();
  r.post('/approve', async (req, res) => {
    const body = parseBody(bulkApproveBody, req.body);
    res.json(presentBulk(await service.decideMany(merchantId(req), body.orders, { action: 'approve' }), 'approved'));
  });
  r.post('/reject', async (req, res) => {
    const body = parseBody(bulkRejectBody, req.body);
    res.json(presentBulk(await service.decideMany(merchantId(req), body.orders, { action: 'reject', reason: body.reason ?? null }), 'rejected'));
  });
  r.post('/:id/approve', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    parseBody(approveBody, req.body);
    res.json(presentOrder(await service.decide(merchantId(req), id, { action: 'approve' })));
  });
  r.post('/:id/reject', async (req, res) => {
    const id = pathId(req.params.id, 'ord', 'order');
    const body = parseBody(rejectBody, req.body);
    res.json(presentOrder(await service.decide(merchantId(req), id, { action: 'reject', reason: body.reason ?? null })));
  });
  return r;
}

const view = (product: string | null, rules: unknown) => ({ object: 'review_rules' as const, product, rules: storedRules(rules) });

/** A product's rules (beside the products router) ... */
export function productReviewRulesRouter(db: Db): Router {
  const r = Router();
  const found = async (id: string, row: Promise<{ review_rules: unknown } | undefined>) => {
    const rules = await row;
    if (!rules) throw errors.notFound('product', id);
    return view(id, rules.review_rules);
  };
  r.get('/:id/review_rules', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    res.json(await found(id, repo.productRules(db, merchantId(req), id)));
  });
  r.put('/:id/review_rules', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    const rules = parseBody(reviewRulesSchema, req.body);
    res.json(await found(id, repo.setProductRules(db, merchantId(req), id, rules)));
  });
  r.delete('/:id/review_rules', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    res.json(await found(id, repo.setProductRules(db, merchantId(req), id, null)));
  });
  return r;
}

/** ... and the merchant's default (/v1/review_rules). */
export function merchantReviewRulesRouter(db: Db): Router {
  const r = Router();
  r.get('/', async (req, res) => void res.json(view(null, await repo.merchantRules(db, merchantId(req)))));
  r.put('/', async (req, res) => {
    const rules = parseBody(reviewRulesSchema, req.body);
    await repo.setMerchantRules(db, merchantId(req), rules);
    res.json(view(null, rules));
  });
  r.delete('/', async (req, res) => {
    await repo.setMerchantRules(db, merchantId(req), null);
    res.json(view(null, null));
  });
  return r;
}
