import { Router, type RequestHandler } from 'express';
import type { Db } from '../db/pool';
import { renderPage } from '../pages/render';
import { publicCounts } from './waitlist.repository';

const PRODUCT_ID = /^prod_[0-9A-Za-z]{1,40}$/;

/**
 * A product's public sale page: its name and counts (units left, people waiting, posts after the
 * last unit), never who waits or who bought. Anyone may open it; the buyer's own place is on
 * /account. `/p/<id>` is the same page: the address the shop's public sold-out notice links to.
 */
export function salePageRouter(db: Db, limit: RequestHandler): Router {
  const r = Router();
  r.get(['/products/:id', '/p/:id'], limit, async (req, res) => {
    const id = String(req.params.id);
    const counts = PRODUCT_ID.test(id) ? await publicCounts(db, id) : undefined;
    if (!counts) {
      return renderPage(res, 404, 'message', { heading: 'No such sale', lines: ['This link does not lead to a product. Check the link the shop gave you.'] });
    }
    const over = counts.status !== 'active' || (counts.ends_at !== null && counts.ends_at <= new Date());
    const state = over ? 'This sale has ended.'
      : counts.units_left === null || counts.units_left > 0 ? 'On sale now.'
        : counts.waitlist ? 'Sold out for now: new posts join the waitlist.' : 'Sold out.';
    renderPage(res, 200, 'sale', {
      title: `${counts.name} · Hashtag Checkout`, name: counts.name, hashtag: counts.hashtag, state,
      unitsLeft: counts.units_left === null ? 'Plenty' : String(Math.max(0, counts.units_left)), waiting: String(counts.waiting), soldOut: String(counts.sold_out),
    });
  });
  return r;
}
