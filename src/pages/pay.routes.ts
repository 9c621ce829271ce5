import { Router } from 'express';
import type { Db } from '../db/pool';
import type { LinkSigner } from '../links/links';
import type { PaymentsPort } from '../payments/payments.port';
import { findOrderById } from '../orders/orders.store';
import { renderPage } from './render';

/**
 * /pay/<token>: the link in an "authentication needed" reply. It sends the buyer on to the
 * order's Checkout Session; afterwards it says where the order stands.
 */
export function payRouter(db: Db, signer: LinkSigner, payments: PaymentsPort): Router {
  const r = Router();
  r.get('/pay/:token', async (req, res) => {
    const orderId = signer.verify('pay', String(req.params.token));
    const order = orderId ? await findOrderById(db, orderId) : undefined;
    if (!order) {
      return renderPage(res, 404, 'message', { heading: 'This payment link is not valid', lines: ['Check that you opened the whole link from our reply, or post again to buy.'] });
    }
    if (order.status === 'paid') return renderPage(res, 200, 'message', { heading: 'Paid — thank you!', lines: [`Order ${order.id} is paid. Your receipt is on its way as a reply on X.`] });
    if (req.query.done !== undefined && order.status === 'requires_action') {
      return renderPage(res, 200, 'message', { heading: 'Thanks — confirming your payment', lines: [`Order ${order.id} will show as paid in a moment, and you will get a receipt reply on X.`] });
    }
    if (order.status !== 'requires_action' || !order.checkout_session_id) {
      return renderPage(res, 410, 'message', { heading: 'This payment can no longer be completed', lines: [`Order ${order.id} is ${order.status.replace(/_/g, ' ')}. You have not been charged for it; post again to buy.`] });
    }
    const session = await payments.getCheckoutUrl(order.checkout_session_id);
    if (!session.url || session.status !== 'open') {
      return renderPage(res, 410, 'message', { heading: 'This payment link has expired', lines: ['You have not been charged. Post again to buy.'] });
    }
    res.redirect(303, session.url);
  });
  return r;
}
