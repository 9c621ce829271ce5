import type { Redis } from 'ioredis';
import { z } from 'zod';

/** What a sign-in carries across the trip to X: the PKCE verifier and what to do on return. */
const pendingSchema = z.object({
  codeVerifier: z.string(),
  /** The browser session that started it: a callback in another browser is refused (login CSRF). */
  sessionId: z.string(),
  purpose: z.enum(['signup', 'account']),
  tokenId: z.string().optional(),
});
export type PendingSignIn = z.infer<typeof pendingSchema>;

const TTL_S = 600;

/** Kept in Redis, never in the browser, for ten minutes; taken once. */
export function oauthStates(redis: Redis, prefix: string) {
  const key = (state: string) => `${prefix}:oauth:${state}`;
  return {
    async put(state: string, pending: PendingSignIn): Promise<void> {
      await redis.set(key(state), JSON.stringify(pending), 'EX', TTL_S);
    },
    async take(state: string): Promise<PendingSignIn | null> {
      if (!/^[A-Za-z0-9_-]{8,128}$/.test(state)) return null;
      const raw = await redis.getdel(key(state));
      if (!raw) return null;
      const parsed = pendingSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    },
  };
}
export type OAuthStates = ReturnType<typeof oauthStates>;
