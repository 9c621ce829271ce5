import express, { Router, type Request, type Response } from 'express';
import { signIn, signOut } from '../sessions/sessions';
import type { PendingSignIn } from '../sessions/oauth-state';
import { currentUser, forgedLinkLimit, inspectLink, type BuyerPagesDeps } from './pages.deps';
import { stop, stopFor } from './pages';

/**
 * Sign-in with X. State and PKCE verifier stay in Redis (10 min, taken once) bound to the
 * browser session that started it; only the X user id that wrote the post may use its link.
 */
export function signInRoutes(d: BuyerPagesDeps, r: Router): void {
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const page = [d.limits.pages, form, ...d.sessions.middleware];
  const redirectUri = `${d.publicBaseUrl}/auth/x/callback`;

  async function toX(req: Request, res: Response, pending: Omit<PendingSignIn, 'codeVerifier' | 'sessionId'>): Promise<void> {
    if (!d.xSignIn) return stop.xUnavailable(res);
    const { url, state, codeVerifier } = d.xSignIn.begin(redirectUri);
    req.session.seen = true;
    await new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
    await d.states.put(state, { ...pending, codeVerifier, sessionId: req.sessionID });
    res.redirect(303, url);
  }

  r.post('/link/:token/continue', d.limits.signIn, forgedLinkLimit(d.authFailures), ...page, async (req, res) => {
    const token = String(req.params.token);
    const state = await inspectLink(d, req, token);
    if (state.kind !== 'open') return stopFor(res, state);
    await toX(req, res, { purpose: 'signup', tokenId: state.link.id });
  });

  r.post('/auth/x/start', d.limits.signIn, ...page, async (req, res) => {
    await toX(req, res, { purpose: 'account' });
  });

  r.get('/auth/x/callback', d.limits.signIn, ...page, async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const pending = typeof q.state === 'string' ? await d.states.take(q.state) : null;
    if (!pending || pending.sessionId !== req.sessionID) return stop.signInLost(res);
    const back = pending.tokenId ? `/link/${d.signer.sign('signup', pending.tokenId)}` : '/account';
    if (typeof q.code !== 'string' || !d.xSignIn) return stop.signInCanceled(res, back);

    let me: { id: string; username: string };
    try {
      me = await d.xSignIn.finish({ code: q.code, codeVerifier: pending.codeVerifier, redirectUri });
    } catch (err) {
      d.log.warn({ err: (err as Error).message }, 'X sign-in: code exchange or user lookup failed');
      return stop.signInCanceled(res, back);
    }
    if (pending.purpose === 'account') {
      await signIn(req, me);
      return res.redirect(303, '/account');
    }
    const claim = await d.onboarding.claimLink(pending.tokenId ?? '', me.id);
    if (claim.kind === 'wrong_account') return stop.wrongAccount(res, me.username);
    if (claim.kind !== 'ok') return stopFor(res, claim);
    await signIn(req, me);
    const url = await d.onboarding.startCheckout(me, { orderId: claim.link.order_id, currency: claim.link.currency });
    res.redirect(303, url);
  });

  r.post('/auth/signout', ...page, async (req, res) => {
    if (currentUser(req)) await signOut(req);
    res.redirect(303, '/account?signed_out=1');
  });
}
