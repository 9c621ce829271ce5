import http from 'node:http';
import https from 'node:https';
import type { ITwitterApiClientPlugin, TwitterApiBasicAuth, TwitterApiOAuth2Init, TwitterApiTokens } from 'twitter-api-v2';

/**
 * Points twitter-api-v2 at a local X emulator. The library hard-codes https://api.x.com
 * (and https://upload.x.com) and always calls `https.request`; rewriting each URL before the
 * request is built, plus a plain `http.Agent`, makes those calls reach an http:// server.
 * Never used against the real X: the adapter refuses a base URL override in production.
 */

const X_HOSTS = ['https://api.x.com', 'https://upload.x.com', 'https://api.twitter.com'];

function rewrite(url: string, base: string): string {
  for (const host of X_HOSTS) {
    if (url === host || url.startsWith(`${host}/`)) return base + url.slice(host.length);
  }
  return url;
}

function normaliseBase(baseUrl: string): string {
  const parsed = new URL(baseUrl);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`X emulator base URL must be http(s): ${baseUrl}`);
  return baseUrl.replace(/\/+$/, '');
}

/** A plugin whose request hooks send every api.x.com call to `baseUrl`. */
export function createLocalXPlugin(baseUrl: string): ITwitterApiClientPlugin {
  const base = normaliseBase(baseUrl);
  return {
    onBeforeRequestConfig({ params }) {
      params.url = rewrite(params.url, base);
    },
    onBeforeStreamRequestConfig({ params }) {
      params.url = rewrite(params.url, base);
    },
  };
}

export interface LocalXClientSettings {
  plugins: ITwitterApiClientPlugin[];
  httpAgent: http.Agent;
}

/**
 * Settings for `new TwitterApi(token, settings)`. Clients the library derives from this one
 * (e.g. the user client from `loginWithOAuth2`) inherit them. The agent must match the base
 * URL's protocol, or Node refuses the request.
 */
export function localXClientSettings(baseUrl: string): LocalXClientSettings {
  const base = normaliseBase(baseUrl);
  return {
    plugins: [createLocalXPlugin(base)],
    httpAgent: base.startsWith('https://') ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true }),
  };
}

/** The consent link from `generateOAuth2AuthLink` (https://x.com/i/oauth2/authorize?...) on the emulator. */
export function rewriteAuthorizeUrl(url: string, baseUrl: string): string {
  const base = normaliseBase(baseUrl);
  const parsed = new URL(url);
  if (parsed.hostname !== 'x.com' && parsed.hostname !== 'twitter.com' && parsed.hostname !== 'www.x.com') return url;
  return `${base}${parsed.pathname}${parsed.search}`;
}

export type LocalXToken = string | TwitterApiTokens | TwitterApiOAuth2Init | TwitterApiBasicAuth;
