import { Router } from 'express';
import { merchantId } from '../http/auth';
import { parseBody, parseQuery, pathId } from '../http/validate';
import { toPage } from '../http/pagination';
import { unix } from '../http/time';
import { presentVariants, optionsAsInput } from '../variants/variants.service';
import type { ProductView } from './product-view';
import type { ProductsService } from './products.service';
import { createProductBody, listProductsQuery, updateProductBody } from './products.schema';

export function presentProduct(p: ProductView) {
  return {
    id: p.id,
    object: 'product' as const,
    name: p.name,
    description: p.description,
    hashtag: `#${p.hashtag}`,
    unit_amount: p.unit_amount,
    currency: p.currency,
    inventory: p.inventory,
    inventory_remaining: p.inventory === null ? null : p.inventory - p.reserved - p.sold,
    max_per_order: p.max_per_order,
    starts_at: p.starts_at?.toISOString() ?? null,
    ends_at: p.ends_at?.toISOString() ?? null,
    metadata: p.metadata,
    shipping: p.shipping,
    shipping_countries: p.shipping_countries,
    cancel_window_minutes: p.cancel_window_minutes,
    support_email: p.support_email,
    options: optionsAsInput(p.options),
    variants: presentVariants(p),
    waitlist: p.waitlist,
    waitlist_limit: p.waitlist_limit,
    waitlist_length: p.waitlist_length,
    confirm: p.confirm,
    confirm_above_amount: p.confirm_above_amount === null ? null : Number(p.confirm_above_amount),
    status: p.status,
    created: unix(p.created_at)!,
    updated: unix(p.updated_at)!,
  };
}

export function productsRouter(service: ProductsService): Router {
  const r = Router();
  r.post('/', async (req, res) => {
    const body = parseBody(createProductBody, req.body);
    res.status(201).json(presentProduct(await service.create(merchantId(req), body)));
  });
  r.get('/', async (req, res) => {
    const q = parseQuery(listProductsQuery, req.query);
    const rows = await service.list(merchantId(req), { limit: q.limit, startingAfter: q.starting_after, status: q.status });
    res.json(toPage(rows, q.limit, '/v1/products', presentProduct));
  });
  r.get('/:id', async (req, res) => {
    res.json(presentProduct(await service.get(merchantId(req), pathId(req.params.id, 'prod', 'product'))));
  });
  r.patch('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'prod', 'product');
    const body = parseBody(updateProductBody, req.body);
    res.json(presentProduct(await service.update(merchantId(req), id, body)));
  });
  r.delete('/:id', async (req, res) => {
    res.json(presentProduct(await service.archive(merchantId(req), pathId(req.params.id, 'prod', 'product'))));
  });
  return r;
}
