import { Router } from 'express';
import { merchantId } from '../http/auth';
import { unix } from '../http/time';
import { parseBody, pathId } from '../http/validate';
import { pauseBody, resumeBody } from './pause.schema';
import type { PauseService, PauseView } from './pause.service';

export function presentPause(p: PauseView) {
  return {
    object: 'sale_pause' as const,
    scope: p.scope,
    product: p.product,
    paused: p.paused_at !== null,
    paused_at: unix(p.paused_at),
    replies: p.replies,
    recorded_posts: p.recorded,
    ...(p.resumed ? { resumed_posts: p.resumed } : {}),
  };
}

/** Mounted beside the products router: /v1/products/{id}/pause and /resume. */
export function productPauseRouter(service: PauseService): Router {
  const r = Router();
  r.get('/:id/pause', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    res.json(presentPause(await service.productState(merchantId(req), id)));
  });
  r.post('/:id/pause', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    const body = parseBody(pauseBody, req.body);
    res.json(presentPause(await service.pauseProduct(merchantId(req), id, body.replies)));
  });
  r.post('/:id/resume', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    const body = parseBody(resumeBody, req.body);
    res.json(presentPause(await service.resumeProduct(merchantId(req), id, body.recorded_posts)));
  });
  return r;
}

/** /v1/operator/pause and /v1/operator/resume (operator token). */
export function operatorPauseRouter(service: PauseService): Router {
  const r = Router();
  r.get('/pause', async (_req, res) => void res.json(presentPause(await service.operatorState())));
  r.post('/pause', async (req, res) => {
    const body = parseBody(pauseBody, req.body);
    res.json(presentPause(await service.pauseOperator(body.replies)));
  });
  r.post('/resume', async (req, res) => {
    const body = parseBody(resumeBody, req.body);
    res.json(presentPause(await service.resumeOperator(body.recorded_posts)));
  });
  return r;
}
