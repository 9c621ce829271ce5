import express, { Router, type Request, type Response } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { authFailureGuard, type AuthFailureLimits } from '../http/auth-failures';
import { operatorAuth } from './operator-auth';

export const QUEUE_UI_PATH = '/admin/queues';

export interface QueueUiOptions {
  queues: Queue[];
  adminToken: string;
  signingSecret: string;
  publicBaseUrl: string;
  log: Logger;
  /** Operator sessions (revocable at sign-out) and failed-sign-in counts live here. */
  redis: Redis;
  prefix: string;
  authFailures: AuthFailureLimits;
}

/**
 * bull-board ships its own scripts and inline styles; helmet's global CSP would block its
 * styles and, on plain-http dev setups, upgrade its assets to https. This path only gets a
 * policy that still forbids inline script, framing and foreign hosts (fonts from Google aside).
 */
const UI_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com", "img-src 'self' data:", "connect-src 'self'", "object-src 'none'",
  "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Only paths inside the UI are followed after sign-in: no open redirect. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith(`${QUEUE_UI_PATH}`) && !next.startsWith('//') && !/[\\\r\n]/.test(next) ? next : QUEUE_UI_PATH;
}

function loginPage(csrf: string, next: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Sign in: queues</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1f2933}label{display:block;margin:.8rem 0 .3rem}
input[type=password]{width:100%;padding:.5rem;font:inherit}button{margin-top:1rem;padding:.5rem 1rem;font:inherit}.error{color:#b42318}</style></head>
<body><h1>Hashtag Checkout queues</h1><p>Operators only. Sign in with the operator token (<code>ADMIN_TOKEN</code>).</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${QUEUE_UI_PATH}/login"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="next" value="${escapeHtml(next)}"><label for="token">Operator token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus><button type="submit">Sign in</button></form></body></html>`;
}

/** The queue UI at /admin/queues: every queue, behind operator auth (Basic or a signed cookie). */
export function queueUiRouter(o: QueueUiOptions): Router {
  const auth = operatorAuth({
    adminToken: o.adminToken, signingSecret: o.signingSecret, secure: o.publicBaseUrl.startsWith('https:'), path: QUEUE_UI_PATH,
    redis: o.redis, prefix: o.prefix, guard: authFailureGuard({ redis: o.redis, prefix: o.prefix, log: o.log, ...o.authFailures }),
  });
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_UI_PATH);
  createBullBoard({
    queues: o.queues.map((q) => new BullMQAdapter(q, { allowRetries: true, description: `BullMQ queue "${q.name}"` })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Hashtag Checkout' } },
  });

  const r = Router();
  r.use(QUEUE_UI_PATH, (_req, res, next) => {
    res.setHeader('Content-Security-Policy', UI_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Robots-Tag', 'noindex');
    next();
  });

  const showLogin = (res: Response, next: string, status = 200, error?: string) =>
    res.status(status).type('html').send(loginPage(auth.issueCsrf(res), next, error));
  r.get(`${QUEUE_UI_PATH}/login`, async (req, res) => {
    if (await auth.isOperator(req)) return res.redirect(303, safeNext(req.query.next));
    showLogin(res, safeNext(req.query.next));
  });
  r.post(`${QUEUE_UI_PATH}/login`, express.urlencoded({ extended: false, limit: '4kb' }), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    if (!auth.checkCsrf(req, body.csrf)) return showLogin(res, next, 403, 'The form expired. Please sign in again.');
    const outcome = await auth.checkToken(req, body.token);
    if (typeof outcome === 'number') {
      res.setHeader('Retry-After', String(outcome));
      return showLogin(res, next, 429, `Too many failed sign-ins from this address. Try again in ${Math.ceil(outcome / 60)} minutes.`);
    }
    if (outcome === 'failed') return showLogin(res, next, 401, 'That is not the operator token.');
    await auth.signIn(res);
    o.log.info({ ip: req.ip }, 'queue UI: operator signed in');
    res.redirect(303, next);
  });
  r.post(`${QUEUE_UI_PATH}/logout`, async (req, res) => {
    await auth.signOut(req, res);
    res.redirect(303, `${QUEUE_UI_PATH}/login`);
  });

  // Mutations from the UI are JSON PUTs: a cross-site page cannot send them without a CORS
  // preflight we never grant, and the SameSite=Strict cookie is not sent cross-site anyway.
  r.use(QUEUE_UI_PATH, auth.require(`${QUEUE_UI_PATH}/login`), serverAdapter.getRouter() as Router);
  return r;
}
