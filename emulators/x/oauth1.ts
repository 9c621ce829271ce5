import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** RFC 3986 encoding as OAuth 1.0a requires (encodeURIComponent leaves !*'() alone). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function parseOAuthHeader(header: string): Record<string, string> | null {
  if (!/^OAuth\s+/i.test(header)) return null;
  const params: Record<string, string> = {};
  const body = header.replace(/^OAuth\s+/i, '');
  for (const part of body.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!m) continue;
    try {
      params[decodeURIComponent(m[1] ?? '')] = decodeURIComponent(m[2] ?? '');
    } catch {
      return null;
    }
  }
  return params;
}

/** Query and form-body pairs, as they take part in the signature base string. */
function requestPairs(req: Request): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const q = req.originalUrl.indexOf('?');
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(req.originalUrl.slice(q + 1))) pairs.push([k, v]);
  }
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded') && req.body && typeof req.body === 'object') {
    for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
      if (Array.isArray(v)) for (const item of v) pairs.push([k, String(item)]);
      else pairs.push([k, String(v)]);
    }
  }
  return pairs;
}

export function signatureBaseString(method: string, baseUrl: string, oauth: Record<string, string>, pairs: Array<[string, string]>): string {
  const all: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(oauth)) if (k !== 'oauth_signature' && k !== 'realm') all.push([percentEncode(k), percentEncode(v)]);
  for (const [k, v] of pairs) all.push([percentEncode(k), percentEncode(v)]);
  all.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
  const paramString = all.map(([k, v]) => `${k}=${v}`).join('&');
  return `${method.toUpperCase()}&${percentEncode(baseUrl)}&${percentEncode(paramString)}`;
}

export function hmacSignature(base: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(base).digest('base64');
}

/**
 * Checks an HMAC-SHA1 signature. The client signs the URL it actually called, which behind
 * the local plugin is the emulator's address, so every plausible base URL is tried.
 */
export function verifySignature(req: Request, oauth: Record<string, string>, consumerSecret: string, tokenSecret: string, baseOrigins: string[]): boolean {
  if ((oauth.oauth_signature_method ?? '').toUpperCase() !== 'HMAC-SHA1') return false;
  const given = Buffer.from(oauth.oauth_signature ?? '');
  const pairs = requestPairs(req);
  const path = req.originalUrl.split('?')[0] ?? '/';
  for (const origin of baseOrigins) {
    const expected = Buffer.from(hmacSignature(signatureBaseString(req.method, origin + path, oauth, pairs), consumerSecret, tokenSecret));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  }
  return false;
}
