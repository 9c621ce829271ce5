import type { Request, Response } from 'express';
import { renderPage } from '../pages/render';
import type { AppError } from '../http/errors';
import type { LinkState } from './onboarding.service';

/** The pages a buyer sees when a link or a sign-in cannot go on: each says what to do next. */
export const stop = {
  invalid: (res: Response) =>
    renderPage(res, 404, 'message', {
      heading: 'This link is not valid',
      lines: ['It may be incomplete or altered. Open the whole link from our reply on X, or post again to buy. You have not been charged.'],
    }),
  expired: (res: Response) =>
    renderPage(res, 410, 'message', {
      heading: 'This link has expired',
      lines: ['Signup links work for 24 hours. Post again with the same hashtag to get a fresh link. You have not been charged.'],
    }),
  used: (res: Response) =>
    renderPage(res, 410, 'message', {
      heading: 'This link has already been used',
      lines: [
        'Each signup link works once. If you started signing up and stopped, continue from your account: your purchase is waiting there.',
        'Otherwise, post again to buy.',
      ],
      linkHref: '/account', linkText: 'Go to your account',
    }),
  closed: (res: Response) =>
    renderPage(res, 410, 'message', {
      heading: 'This purchase can no longer be completed',
      lines: ['It is no longer waiting for a card. You have not been charged through this link. Post again to buy.'],
    }),
  wrongAccount: (res: Response, username: string) =>
    renderPage(res, 403, 'message', {
      heading: 'This purchase was posted from a different X account',
      lines: [
        `You signed in as @${username}. Only the X account that posted can link a card to this purchase, so nothing was linked.`,
        'If the post is yours, sign out of X, sign in with that account and open the link again.',
      ],
    }),
  signInLost: (res: Response) =>
    renderPage(res, 400, 'message', {
      heading: 'This sign-in has expired',
      lines: ['Sign-in must be finished within 10 minutes, in the browser where it started. Open your link again to retry.'],
      linkHref: '/account', linkText: 'Go to your account',
    }),
  signInCanceled: (res: Response, back: string) =>
    renderPage(res, 200, 'message', {
      heading: 'You cancelled signing in with X',
      lines: ['Nothing was linked and you have not been charged.'],
      linkHref: back, linkText: 'Try again',
    }),
  xUnavailable: (res: Response) =>
    renderPage(res, 503, 'message', { heading: 'Signing in with X is not available right now', lines: ['Please try again in a few minutes. You have not been charged.'] }),
  csrf: (res: Response) =>
    renderPage(res, 403, 'message', {
      heading: 'This form has expired',
      lines: ['For your safety, forms work only from the page that showed them, in the same browser. Go back, reload the page and try again.'],
    }),
  rateLimited: (res: Response, seconds: number) => {
    res.setHeader('Retry-After', String(seconds));
    renderPage(res, 429, 'message', { heading: 'Too many requests', lines: [`Please wait ${seconds} seconds and try again.`] });
  },
  broken: (res: Response, requestId: string) =>
    renderPage(res, 500, 'message', {
      heading: 'Something went wrong on our side',
      lines: ['You have not been charged. Please try again in a minute.', `If it keeps happening, tell the shop this reference: ${requestId}`],
    }),
};

export function stopFor(res: Response, state: Exclude<LinkState, { kind: 'open' }>): void {
  stop[state.kind](res);
}

/** What a buyer's browser opens (our links, the account, sign-in): its errors are pages, never problem+json. */
const BUYER_PATH = /^\/+(link|pay|account|welcome|auth|products)(\/|$)/i;

export function isBuyerPath(path: string): boolean {
  return BUYER_PATH.test(path);
}

/**
 * The page for an error on a buyer path. A client error (a link that is not valid
 * percent-encoding, an unknown path) says the link is not valid; the error's own message can
 * hold the raw token, so it is not logged. Anything else is ours: logged, and a page with the
 * request id.
 */
export function buyerErrorPage(err: unknown, known: AppError | null, req: Request, res: Response): void {
  if ((err as { code?: string } | null)?.code === 'EBADCSRFTOKEN') return stop.csrf(res);
  if (known && known.status < 500) {
    if (known.status === 429) return stop.rateLimited(res, Number(known.extra.headers?.['Retry-After'] ?? 60));
    req.log?.warn({ code: known.code, status: known.status }, 'buyer page refused');
    return renderPage(res, known.status, 'message', {
      heading: 'This link is not valid',
      lines: ['It may be incomplete or altered. Open the whole link from our reply on X, or post again to buy. You have not been charged.'],
      linkHref: '/account', linkText: 'Go to your account',
    });
  }
  req.log?.error({ err }, 'buyer page failed');
  stop.broken(res, String(req.id ?? ''));
}
