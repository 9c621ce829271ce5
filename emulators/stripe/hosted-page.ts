import express, { type Router } from 'express';
import type { Ctx } from './context';
import { ApiError } from './errors';
import { TEST_CARDS } from './cards';
import { completeSession, expireIfDue } from './checkout';
import type { CheckoutSession } from './store';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function formatAmount(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
fieldset{border:1px solid #999;border-radius:6px;padding:.5rem 1rem}
label{display:block;margin:.4rem 0}
input[type=email],input[type=text]{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.4rem;font-size:1rem;background:#0a4bd6;color:#fff;border:0;border-radius:6px;cursor:pointer}
button:focus,a:focus,input:focus{outline:3px solid #f5a623;outline-offset:2px}
.error{color:#a00;font-weight:bold;border:2px solid #a00;padding:.5rem;border-radius:6px}
.note{color:#555;font-size:.9rem}
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function summary(ctx: Ctx, s: CheckoutSession): { heading: string; button: string } {
  if (s.mode === 'setup') return { heading: 'Save a card for future purchases', button: 'Save card' };
  const amount = formatAmount(s.amount_total ?? 0, s.currency ?? 'usd');
  const items = ctx.store.checkoutExtras.get(s.id)?.lineItems ?? [];
  const names = items.map((i) => `${String(i.description)}${Number(i.quantity) > 1 ? ` × ${String(i.quantity)}` : ''}`).join(', ');
  return { heading: `Pay ${amount}${names ? ` for ${names}` : ''}`, button: `Pay ${amount}` };
}

export function renderCheckout(ctx: Ctx, s: CheckoutSession, error?: string, chosen = 'pm_card_visa', email = ''): string {
  if (s.status !== 'open') {
    const message = s.status === 'complete' ? 'This checkout is already complete. Nothing more to do here.' : 'This checkout session has expired. Go back and start again.';
    const link = s.status === 'complete' && s.success_url ? s.success_url : s.cancel_url;
    return page('Checkout unavailable', `<h1>Checkout unavailable</h1><p role="status">${esc(message)}</p>${link ? `<p><a href="${esc(link)}">Return to the merchant</a></p>` : ''}`);
  }
  const { heading, button } = summary(ctx, s);
  const cards = TEST_CARDS.map(
    (c) => `<label><input type="radio" name="payment_method" value="${esc(c.token)}"${c.token === chosen ? ' checked' : ''}> ${esc(c.label)}</label>`,
  ).join('\n');
  const prefill = email || (s.customer_email as string | null) || '';
  return page(
    heading,
    `<h1>${esc(heading)}</h1>
<p class="note">Stripe emulator test checkout. No real card is charged.</p>
${error ? `<p id="error" class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/c/pay/${esc(s.id)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" value="${esc(prefill)}">
<fieldset>
<legend>Test card</legend>
${cards}
</fieldset>
<button type="submit">${esc(button)}</button>
</form>
${s.cancel_url ? `<p><a href="${esc(s.cancel_url)}">Cancel and return</a></p>` : ''}`,
  );
}

/** The hosted Checkout page: no auth and no rate limit, like checkout.stripe.com. */
export function registerHostedPage(router: Router, ctx: Ctx): void {
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const find = (id: string) => {
    const s = ctx.store.checkoutSessions.get(id);
    if (s) expireIfDue(ctx, s);
    return s;
  };
  const notFound = page('Checkout not found', '<h1>Checkout not found</h1><p role="status">This checkout link is not valid.</p>');

  router.get('/c/pay/:id', (req, res) => {
    const s = find(req.params.id);
    if (!s) return void res.status(404).type('html').send(notFound);
    res.status(s.status === 'open' ? 200 : 410).type('html').send(renderCheckout(ctx, s));
  });

  router.post('/c/pay/:id', form, (req, res) => {
    const s = find(req.params.id);
    if (!s) return void res.status(404).type('html').send(notFound);
    if (s.status !== 'open') return void res.status(410).type('html').send(renderCheckout(ctx, s));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const card = typeof body.payment_method === 'string' ? body.payment_method : '';
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    try {
      completeSession(ctx, s, { card, email }, { id: null, idempotencyKey: null, apiVersion: '2026-10-28.endive' });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const status = err.status === 402 ? 402 : 400;
      return void res.status(status).type('html').send(renderCheckout(ctx, s, err.body.message, card, email));
    }
    if (!s.success_url) {
      return void res.type('html').send(page('Checkout complete', '<h1>Checkout complete</h1><p role="status">Thank you. You can close this page.</p>'));
    }
    res.redirect(303, s.success_url.replace('{CHECKOUT_SESSION_ID}', s.id));
  });
}
