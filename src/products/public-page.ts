import { Router, type RequestHandler } from 'express';
import type { Db } from '../db/pool';
import { renderPage } from '../pages/render';
import { productCounts } from '../replies/public-notices.repository';

/**
 * `/p/<product id>`: the public page a sold-out notice links to. Counts only (units left, people
 * waiting, posts after the last unit), never who. Each buyer's own place is on /account.
 */
export function publicProductPage(db: Db, limit: RequestHandler): Router {
  const r = Router();
  r.get('/p/:productId', limit, async (req, res) => {
    const id = String(req.params.productId);
    const counts = /^prod_[A-Za-z0-9]{1,64}$/.test(id) ? await productCounts(db, id) : undefined;
    if (!counts) return renderPage(res, 404, 'message', { heading: 'No such product', lines: ['This link does not lead to a product.'] });
    const left = counts.inventory === null ? 'Unlimited' : String(Math.max(0, counts.inventory - counts.reserved - counts.sold));
    renderPage(res, 200, 'product', {
      title: `${counts.name} · Hashtag Checkout`,
      name: counts.name,
      status: counts.status === 'archived' ? 'Sale ended' : left === '0' ? 'Sold out' : 'On sale',
      unitsLeft: left,
      waiting: counts.waitlisted,
      soldOut: counts.soldOut,
    });
  });
  return r;
}
