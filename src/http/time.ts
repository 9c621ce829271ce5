/** Stripe-style timestamps: integer seconds since the epoch. */
export function unix(d: Date | null | undefined): number | null {
  return d ? Math.floor(d.getTime() / 1000) : null;
}

/** 9999-12-31T23:59:59Z: the last second both JavaScript dates and PostgreSQL timestamps agree on. */
export const MAX_UNIX_SECONDS = 253_402_300_799;
