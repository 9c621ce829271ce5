/** Stripe-style timestamps: integer seconds since the epoch. */
export function unix(d: Date | null | undefined): number | null {
  return d ? Math.floor(d.getTime() / 1000) : null;
}
