import express, { type Router } from 'express';
import type { Ctx } from './context';
import { esc, page } from './hosted-page';
import { finishOnboarding, leaveOnboarding } from './accounts';
import { nowSeconds } from './ids';
import type { AccountLinkState } from './store';

const NO_REQUEST = { id: null, idempotencyKey: null, apiVersion: '2026-10-28.endive' };

/**
 * The hosted Express onboarding page an Account Link points at: no auth, like connect.stripe.com.
 * A link works once: opening it again, submitting it twice or arriving after `expires_at` sends the
 * merchant to `refresh_url`, where the platform is expected to mint a fresh link.
 */
export function registerOnboardingPage(router: Router, ctx: Ctx): void {
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const notFound = page('Onboarding link not found', '<h1>Onboarding link not found</h1><p role="status">This onboarding link is not valid.</p>');
  const usable = (link: AccountLinkState) => !link.used && nowSeconds() < link.expiresAt;

  router.get('/connect/onboarding/:token', (req, res) => {
    const link = ctx.store.accountLinks.get(req.params.token);
    if (!link) return void res.status(404).type('html').send(notFound);
    if (!usable(link) || link.opened) return void res.redirect(303, link.refreshUrl);
    link.opened = true;
    const account = ctx.store.accounts.get(link.account);
    const due = account?.requirements.currently_due ?? [];
    res.type('html').send(page(
      'Set up payouts',
      `<h1>Set up payouts</h1>
<p class="note">Stripe emulator test onboarding for ${esc(account?.email ?? link.account)}. No real identity is checked.</p>
<p>Still needed: ${due.length ? esc(due.join(', ')) : 'nothing'}.</p>
<form method="post" action="/connect/onboarding/${esc(link.token)}">
<button type="submit" name="action" value="finish">Finish onboarding</button>
<button type="submit" name="action" value="later">Leave for later</button>
</form>`,
    ));
  });

  router.post('/connect/onboarding/:token', form, (req, res) => {
    const link = ctx.store.accountLinks.get(req.params.token);
    if (!link) return void res.status(404).type('html').send(notFound);
    if (!usable(link)) return void res.redirect(303, link.refreshUrl);
    const action = (req.body as Record<string, unknown> | undefined)?.action;
    if (action !== 'finish' && action !== 'later') {
      return void res.status(400).type('html').send(page('Onboarding', '<h1>Onboarding</h1><p role="alert" class="error">Choose "Finish onboarding" or "Leave for later".</p>'));
    }
    const account = ctx.store.accounts.get(link.account);
    link.used = true;
    if (account) {
      if (action === 'finish') finishOnboarding(ctx, account, NO_REQUEST);
      else leaveOnboarding(ctx, account, NO_REQUEST);
    }
    res.redirect(303, link.returnUrl);
  });
}
