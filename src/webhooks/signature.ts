import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'Hashtag-Checkout-Signature';

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one `v1` per live secret (several during a roll). */
export function signatureHeader(body: string, secrets: string[], at = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = secrets.map((s) => `v1=${crypto.createHmac('sha256', s).update(`${t}.${body}`).digest('hex')}`);
  return [`t=${t}`, ...v1].join(',');
}
