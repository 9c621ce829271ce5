import { TwitterApi } from 'twitter-api-v2';
import { localXClientSettings, rewriteAuthorizeUrl } from './local-plugin';
import { timeoutPlugin } from './timeout';

/**
 * Buyer sign-in with X (OAuth 2.0 authorization code + PKCE), in the service's own words.
 * Only this file knows twitter-api-v2's OAuth helpers.
 */
export interface XSignInPort {
  /** Where to send the buyer, plus the state and PKCE verifier the caller must keep server-side. */
  begin(redirectUri: string): { url: string; state: string; codeVerifier: string };
  /** Exchanges the code and asks X who signed in. The id is the identity; the handle is only a label. */
  finish(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<{ id: string; username: string }>;
}

/** Minimal: enough to read who the buyer is. No tweet.write, no offline.access (we never act for them). */
export const SIGN_IN_SCOPES = ['users.read', 'tweet.read'];

export interface XSignInOptions {
  clientId: string;
  clientSecret?: string;
  /** The emulator's base URL (refused in production by config). */
  apiBase?: string;
  timeoutMs?: number;
}

export function createXSignIn(o: XSignInOptions): XSignInPort {
  const local = o.apiBase ? localXClientSettings(o.apiBase) : undefined;
  const settings = { ...(local ?? {}), plugins: [...(local?.plugins ?? []), timeoutPlugin(o.timeoutMs ?? 10_000)] };
  const client = new TwitterApi(o.clientSecret ? { clientId: o.clientId, clientSecret: o.clientSecret } : { clientId: o.clientId }, settings);
  return {
    begin(redirectUri) {
      const link = client.generateOAuth2AuthLink(redirectUri, { scope: SIGN_IN_SCOPES });
      const url = o.apiBase ? rewriteAuthorizeUrl(link.url, o.apiBase) : link.url;
      return { url, state: link.state, codeVerifier: link.codeVerifier };
    },
    async finish({ code, codeVerifier, redirectUri }) {
      const login = await client.loginWithOAuth2({ code, codeVerifier, redirectUri });
      const me = await login.client.v2.me();
      return { id: me.data.id, username: me.data.username };
    },
  };
}

/** The origin the buyer's browser is sent to for consent (for the CSP form-action list). */
export function xAuthorizeOrigins(apiBase: string | undefined): string[] {
  return apiBase ? [new URL(apiBase).origin] : ['https://x.com', 'https://twitter.com'];
}
