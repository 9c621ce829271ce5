import crypto from 'node:crypto';

/**
 * Endpoint signing secrets must be recoverable (we sign with them), so they are kept sealed
 * with AES-256-GCM under a key derived from SIGNING_SECRET: a copy of the database alone
 * cannot forge a webhook. Changing SIGNING_SECRET means rolling every endpoint's secret.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function createSecretBox(signingSecret: string): SecretBox {
  const key = Buffer.from(crypto.hkdfSync('sha256', signingSecret, Buffer.alloc(0), 'hashtag-checkout/webhook-endpoint-secret/v1', 32));
  return {
    seal(plain) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised sealed secret');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

export function newEndpointSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64url')}`;
}
