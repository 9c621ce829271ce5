import crypto from 'node:crypto';
import { randomBase62 } from '../ids';

/** What a link is for: a token signed for one purpose is refused for another. */
export type LinkPurpose = 'signup' | 'pay' | 'connect';

/**
 * Links sent to buyers in replies. A link carries a random id plus an HMAC so a forged or
 * altered link is refused before any lookup; what it grants is decided server-side.
 */
export function createLinkSigner(secret: string) {
  const mac = (purpose: string, id: string) =>
    crypto.createHmac('sha256', secret).update(`${purpose}:${id}`).digest('base64url').slice(0, 22);
  return {
    sign(purpose: LinkPurpose, id: string): string {
      return `${id}.${mac(purpose, id)}`;
    },
    /** The id inside a well-formed, untampered token, or null. */
    verify(purpose: LinkPurpose, token: string): string | null {
      const m = /^([A-Za-z0-9_]{1,64})\.([A-Za-z0-9_-]{22})$/.exec(token);
      if (!m) return null;
      const expected = Buffer.from(mac(purpose, m[1]!));
      const given = Buffer.from(m[2]!);
      return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? m[1]! : null;
    },
    newTokenId: () => `tok_${randomBase62(24)}`,
  };
}
export type LinkSigner = ReturnType<typeof createLinkSigner>;
