import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { randomToken } from './ids';
import { consentPage, errorPage } from './oauth2-page';
import type { EmulatorState, OAuth2Client } from './state';
import type { OAuth2Token } from './store';

const CODE_TTL_MS = 30_000;
const ACCESS_TTL_S = 7200;
const KNOWN_SCOPES = new Set([
  'tweet.read', 'tweet.write', 'tweet.moderate.write', 'users.read', 'users.email', 'follows.read', 'follows.write',
  'offline.access', 'space.read', 'mute.read', 'mute.write', 'like.read', 'like.write', 'list.read', 'list.write',
  'block.read', 'block.write', 'bookmark.read', 'bookmark.write', 'dm.read', 'dm.write', 'media.write',
]);

interface AuthorizeParams { clientId: string; redirectUri: string; scopes: string[]; state: string; challenge: string; method: 'S256' | 'plain' }

function q(req: Request, name: string): string {
  const v = req.query[name];
  return typeof v === 'string' ? v : '';
}

function validateAuthorize(state: EmulatorState, req: Request): AuthorizeParams | string[] {
  const problems: string[] = [];
  if (q(req, 'response_type') !== 'code') problems.push('response_type must be "code".');
  const clientId = q(req, 'client_id');
  const client = state.oauth2Clients?.find((c) => c.clientId === clientId);
  if (!clientId) problems.push('client_id is missing.');
  else if (state.oauth2Clients?.length && !client) problems.push(`client_id "${clientId}" is not a registered app.`);
  const redirectUri = q(req, 'redirect_uri');
  let parsed: URL | undefined;
  try {
    parsed = new URL(redirectUri);
  } catch {
    problems.push('redirect_uri must be an absolute URL.');
  }
  if (parsed && client?.redirectUris?.length && !client.redirectUris.includes(redirectUri)) {
    problems.push(`redirect_uri "${redirectUri}" is not registered for this app.`);
  }
  const scopes = q(req, 'scope').split(/[\s+]+/).filter(Boolean);
  if (!scopes.length) problems.push('scope is missing.');
  for (const s of scopes) if (!KNOWN_SCOPES.has(s)) problems.push(`scope "${s}" is not a known scope.`);
  if (!q(req, 'state')) problems.push('state is missing.');
  const challenge = q(req, 'code_challenge');
  if (!challenge) problems.push('code_challenge is missing (PKCE is required).');
  const rawMethod = q(req, 'code_challenge_method').toLowerCase();
  if (rawMethod !== 's256' && rawMethod !== 'plain') problems.push('code_challenge_method must be "S256" (or "plain").');
  if (problems.length) return problems;
  return { clientId, redirectUri, scopes, state: q(req, 'state'), challenge, method: rawMethod === 's256' ? 'S256' : 'plain' };
}

function redirectWith(res: Response, redirectUri: string, params: Record<string, string>): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  res.redirect(302, url.toString());
}

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}

/** The client from a Basic header or the body, checked against configured apps. */
function authenticateClient(state: EmulatorState, req: Request, res: Response): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  let clientId = typeof body.client_id === 'string' ? body.client_id : undefined;
  let secret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      clientId = decodeURIComponent(decoded.slice(0, i));
      secret = decodeURIComponent(decoded.slice(i + 1));
    }
  }
  if (!clientId) {
    oauthError(res, 400, 'invalid_request', 'Missing required parameter [client_id].');
    return undefined;
  }
  const clients = state.oauth2Clients;
  if (clients?.length) {
    const client: OAuth2Client | undefined = clients.find((c) => c.clientId === clientId);
    if (!client || (client.clientSecret !== undefined && client.clientSecret !== secret)) {
      oauthError(res, 401, 'unauthorized_client', 'Missing valid authorization header');
      return undefined;
    }
  }
  return clientId;
}

function issue(state: EmulatorState, userId: string, clientId: string, scopes: string[]): OAuth2Token {
  const token: OAuth2Token = { accessToken: randomToken(48), userId, clientId, scopes, expiresAt: Date.now() + ACCESS_TTL_S * 1000 };
  if (scopes.includes('offline.access')) token.refreshToken = randomToken(48);
  state.store.accessTokens.set(token.accessToken, token);
  if (token.refreshToken) state.store.refreshTokens.set(token.refreshToken, token);
  return token;
}

function tokenBody(t: OAuth2Token): Record<string, unknown> {
  return {
    token_type: 'bearer',
    expires_in: ACCESS_TTL_S,
    access_token: t.accessToken,
    scope: t.scopes.join(' '),
    ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
  };
}

function revokeToken(state: EmulatorState, t: OAuth2Token): void {
  state.store.accessTokens.delete(t.accessToken);
  state.deadTokens.add(t.accessToken);
  if (t.refreshToken) {
    state.store.refreshTokens.delete(t.refreshToken);
    state.deadTokens.add(t.refreshToken);
  }
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function oauth2Routes(state: EmulatorState): Router {
  const r = Router();
  const form = [express.urlencoded({ extended: false }), express.json()];

  r.get('/i/oauth2/authorize', (req, res) => {
    const params = validateAuthorize(state, req);
    if (Array.isArray(params)) return void res.status(400).type('html').send(errorPage(params));
    res.type('html').send(consentPage({ clientId: params.clientId, scopes: params.scopes, users: [...state.store.users.values()], action: req.originalUrl }));
  });

  r.post('/i/oauth2/authorize', express.urlencoded({ extended: false }), (req, res) => {
    const params = validateAuthorize(state, req);
    if (Array.isArray(params)) return void res.status(400).type('html').send(errorPage(params));
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    if (body.action === 'cancel') return redirectWith(res, params.redirectUri, { error: 'access_denied', state: params.state });
    let user = body.user_id ? state.store.users.get(body.user_id) : undefined;
    const newName = (body.new_username ?? '').trim().replace(/^@/, '');
    if (newName) {
      if (!/^[A-Za-z0-9_]{1,15}$/.test(newName)) {
        const page = consentPage({ clientId: params.clientId, scopes: params.scopes, users: [...state.store.users.values()], action: req.originalUrl, error: 'A username is 1 to 15 letters, digits or underscores.' });
        return void res.status(400).type('html').send(page);
      }
      user = state.store.userByUsername(newName) ?? state.store.addUser({ username: newName });
    }
    if (!user) {
      const page = consentPage({ clientId: params.clientId, scopes: params.scopes, users: [...state.store.users.values()], action: req.originalUrl, error: 'Choose an account to sign in as.' });
      return void res.status(400).type('html').send(page);
    }
    const code = randomToken(36);
    state.store.codes.set(code, {
      code, clientId: params.clientId, redirectUri: params.redirectUri, scopes: params.scopes, userId: user.id,
      challenge: params.challenge, method: params.method, expiresAt: Date.now() + CODE_TTL_MS, used: false, issued: [],
    });
    redirectWith(res, params.redirectUri, { state: params.state, code });
  });

  r.post('/2/oauth2/token', ...form, (req, res) => {
    const clientId = authenticateClient(state, req, res);
    if (!clientId) return;
    const take = state.limiter.take('oauth2_token', `client:${clientId}`);
    if (take) {
      res.setHeader('x-rate-limit-limit', String(take.limit));
      res.setHeader('x-rate-limit-remaining', String(take.remaining));
      res.setHeader('x-rate-limit-reset', String(take.reset));
      if (take.limited) return void res.status(429).json({ title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const grant = body.grant_type;
    if (grant === 'authorization_code') {
      const code = state.store.codes.get(String(body.code ?? ''));
      if (!code || code.clientId !== clientId || code.expiresAt < Date.now()) {
        return oauthError(res, 400, 'invalid_request', 'Value passed for the authorization code was invalid.');
      }
      if (code.used) {
        // A replayed code may have leaked: revoke what it produced (RFC 6749 §4.1.2).
        for (const at of code.issued) { const t = state.store.accessTokens.get(at); if (t) revokeToken(state, t); }
        return oauthError(res, 400, 'invalid_request', 'Value passed for the authorization code was invalid.');
      }
      if (String(body.redirect_uri ?? '') !== code.redirectUri) {
        return oauthError(res, 400, 'invalid_request', 'Value passed for the redirect uri did not match the uri of the authorization code.');
      }
      const verifier = String(body.code_verifier ?? '');
      const ok = verifier && safeEqual(code.method === 'S256' ? s256(verifier) : verifier, code.challenge);
      if (!ok) return oauthError(res, 400, 'invalid_request', 'Value passed for the code verifier did not match the code challenge.');
      code.used = true;
      const token = issue(state, code.userId, clientId, code.scopes);
      code.issued.push(token.accessToken);
      return void res.json(tokenBody(token));
    }
    if (grant === 'refresh_token') {
      const old = state.store.refreshTokens.get(String(body.refresh_token ?? ''));
      if (!old || old.clientId !== clientId) return oauthError(res, 400, 'invalid_request', 'Value passed for the token was invalid.');
      revokeToken(state, old);
      return void res.json(tokenBody(issue(state, old.userId, clientId, old.scopes)));
    }
    oauthError(res, 400, 'unsupported_grant_type', `grant_type "${String(grant ?? '')}" is not supported.`);
  });

  r.post('/2/oauth2/revoke', ...form, (req, res) => {
    const clientId = authenticateClient(state, req, res);
    if (!clientId) return;
    const value = String(((req.body ?? {}) as Record<string, unknown>).token ?? '');
    if (!value) return oauthError(res, 400, 'invalid_request', 'Missing required parameter [token].');
    const t = state.store.accessTokens.get(value) ?? state.store.refreshTokens.get(value);
    if (t && t.clientId === clientId) revokeToken(state, t);
    res.json({ revoked: true });
  });

  // App-only bearer tokens (OAuth 2.0 client credentials with the consumer key and secret).
  r.post('/oauth2/token', ...form, (req, res) => {
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const decoded = basic ? Buffer.from(basic[1] ?? '', 'base64').toString('utf8') : '';
    const [key = '', secret = ''] = decoded.split(':').map((s) => decodeURIComponent(s));
    if (!key || (state.consumerKey && (key !== state.consumerKey || secret !== state.consumerSecret))) {
      return void res.status(403).json({ errors: [{ code: 99, message: 'Unable to verify your credentials', label: 'authenticity_token_error' }] });
    }
    if (((req.body ?? {}) as Record<string, unknown>).grant_type !== 'client_credentials') {
      return void res.status(403).json({ errors: [{ code: 170, message: 'Missing required parameter: grant_type', label: 'forbidden_missing_parameter' }] });
    }
    const token = `AAAAAAAAAAAAAAAAAAAAA${randomToken(60)}`;
    state.store.appTokens.add(token);
    res.json({ token_type: 'bearer', access_token: token });
  });
  return r;
}

/** Issues a user token without the browser step, for tests and demos. */
export function issueUserToken(state: EmulatorState, userId: string, scopes: string[], clientId = 'emulator'): Record<string, unknown> {
  return tokenBody(issue(state, userId, clientId, scopes));
}
