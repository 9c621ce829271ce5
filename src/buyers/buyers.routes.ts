import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { renderPage } from '../pages/render';
import { item, money, orderLabel, parseMajor, refundLabel, safeTrackingUrl, statusLabel, toMajor } from '../pages/present';
import { orderLead } from '../pages/order-progress';
import { currentUser, forgedLinkLimit, inspectLink, type BuyerPagesDeps } from './pages.deps';
import { signInRoutes } from './signin.routes';
import { addressRoutes } from './address.routes';
import { stopFor } from './pages';
import type { AccountView } from './onboarding.service';
import { addressLines } from '../shipping/present';

const NOTICES: Record<string, string> = {
  'card=saved': 'Your card is being saved. It shows here in a moment.',
  'card=canceled': 'Nothing was changed.',
  'limit=saved': 'Your daily spending limit is saved.',
  'confirm=on': 'From now on, each purchase waits for your #confirm reply before your card is charged.',
  'confirm=off': 'Purchases are charged as soon as you post again (unless a shop asks you to confirm).',
  'address=saved': 'Your shipping address is saved.',
  'unlinked=1': 'Your card was removed. Your next post to buy will get a signup link.',
  'signed_out=1': 'You are signed out.',
};

function noticeOf(req: Request): string | undefined {
  for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string' && NOTICES[`${k}=${v}`]) return NOTICES[`${k}=${v}`];
  return undefined;
}

/**
 * Buyer pages: the signup link, the success page that follows the order, and /account.
 * Thin: the rules are in OnboardingService; the texts of dead ends are in ./pages.
 */
export function buyerPagesRouter(d: BuyerPagesDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const page = [d.limits.pages, form, ...d.sessions.middleware];

  r.get('/link/:token', forgedLinkLimit(d.authFailures), ...page, async (req, res) => {
    const token = String(req.params.token);
    const state = await inspectLink(d, req, token);
    if (state.kind !== 'open') return stopFor(res, state);
    const l = state.link;
    renderPage(res, 200, 'link', {
      title: `Buy ${l.product_name} · Hashtag Checkout`,
      item: item(l.quantity, l.product_name), price: money(l.amount, l.currency), merchant: l.merchant_name,
      action: `/link/${token}/continue`, csrf: d.sessions.csrfToken(req, res),
    });
  });

  signInRoutes(d, r);

  r.get('/welcome', ...page, async (req, res) => {
    const me = currentUser(req);
    const orderId = typeof req.query.order === 'string' ? req.query.order : '';
    const order = me && orderId ? await d.onboarding.orderOfBuyer(me.id, orderId) : undefined;
    if (!order) return res.redirect(303, '/account');
    const label = statusLabel(order.status);
    renderPage(res, 200, 'welcome', {
      script: '/assets/status.js', orderId: order.id, status: order.status, label: label.text, tone: label.tone, lead: orderLead(order.status),
      item: item(order.quantity, order.product_name), price: money(order.amount, order.currency), merchant: order.merchant_name,
    });
  });

  r.get('/account/orders/:id/status', d.limits.status, ...d.sessions.middleware, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const me = currentUser(req);
    const s = me ? await d.onboarding.orderStatus(me.id, String(req.params.id)) : undefined;
    if (!s) return void res.status(404).json({ error: 'not_found' });
    const label = statusLabel(s.status);
    const hint = s.status === 'paid' ? 'Your receipt is a reply to your post on X.' : s.final ? 'Our reply on X says what happened.' : '';
    res.json({ ...s, label: label.text, tone: label.tone, hint, lead: orderLead(s.status) });
  });

  async function showAccount(req: Request, res: Response, status = 200, error?: string): Promise<void> {
    const me = currentUser(req);
    if (!me) return renderPage(res, 200, 'signin', { title: 'Your account · Hashtag Checkout', notice: noticeOf(req), csrf: d.sessions.csrfToken(req, res) });
    const view: AccountView = await d.onboarding.account(me.id);
    renderPage(res, status, 'account', {
      title: 'Your account · Hashtag Checkout', username: view.username ?? me.username, notice: noticeOf(req), error,
      card: view.card ? `${(view.card.brand ?? 'Card').replace(/^./, (c) => c.toUpperCase())} ending in ${view.card.last4 ?? '????'}` : null,
      address: view.address ? addressLines(view.address) : null,
      waiting: view.waiting, currency: view.currency.toUpperCase(), limit: toMajor(view.dailyLimit, view.currency),
      orders: view.orders.map((o) => ({
        id: o.id, support: o.support_email, item: item(o.quantity, o.product_name), merchant: o.merchant_name, price: money(o.amount, o.currency),
        date: o.created_at.toISOString().slice(0, 10), label: orderLabel(o).text, tone: orderLabel(o).tone,
        shipment: o.fulfillment_status === 'fulfilled' ? {
          date: (o.fulfilled_at ?? o.created_at).toISOString().slice(0, 10), carrier: o.fulfillment_carrier,
          trackingNumber: o.fulfillment_tracking_number, trackingUrl: safeTrackingUrl(o.fulfillment_tracking_url),
        } : null,
        refunds: o.refunds.map((r) => ({ amount: money(r.amount, r.currency), status: refundLabel(r.status), date: r.created_at.toISOString().slice(0, 10) })),
        position: o.waitlist_position, productPage: `/products/${encodeURIComponent(o.product_id)}`,
        confirmBy: o.status === 'awaiting_confirmation' && o.action_expires_at ? `${o.action_expires_at.toISOString().slice(11, 16)} UTC` : null,
      })),
      alwaysConfirm: view.alwaysConfirm,
      csrf: d.sessions.csrfToken(req, res),
    });
  }

  r.get('/account', ...page, (req, res) => showAccount(req, res));

  /** Every account form needs a signed-in session; without one, the account page offers sign-in. */
  const signedIn = (req: Request, res: Response, next: NextFunction) => (currentUser(req) ? next() : res.redirect(303, '/account'));

  r.post('/account/card', ...page, signedIn, async (req, res) => {
    const me = currentUser(req)!;
    const waiting = (await d.onboarding.account(me.id)).waiting[0];
    res.redirect(303, await d.onboarding.startCheckout(me, waiting ? { orderId: waiting.id, currency: waiting.currency } : {}));
  });

  r.post('/account/limit', ...page, signedIn, async (req, res) => {
    const me = currentUser(req)!;
    const { currency } = await d.onboarding.account(me.id);
    const amount = parseMajor(String((req.body as Record<string, unknown>).limit ?? ''), currency);
    if (amount === undefined) return showAccount(req, res, 400, 'Enter the limit as an amount such as 50 or 49.99, or leave it empty for no limit.');
    await d.onboarding.setDailyLimit(me, amount);
    res.redirect(303, '/account?limit=saved');
  });

  r.post('/account/confirm', ...page, signedIn, async (req, res) => {
    const on = (req.body as Record<string, unknown>).always_confirm === '1';
    await d.onboarding.setAlwaysConfirm(currentUser(req)!, on);
    res.redirect(303, `/account?confirm=${on ? 'on' : 'off'}`);
  });

  addressRoutes(d, r, page, signedIn);

  r.post('/account/unlink', ...page, signedIn, async (req, res) => {
    await d.onboarding.unlink(currentUser(req)!.id);
    res.redirect(303, '/account?unlinked=1');
  });
  // Errors fall through to the app's one error renderer, which answers buyer paths with a page.
  return r;
}
