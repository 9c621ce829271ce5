import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// One syscall per 4 KiB instead of one per id: ids are minted on the hot path.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomChars(n: number): string {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[pool[poolOffset + i]! % 62];
  poolOffset += n;
  return out;
}

/** Stripe-shaped id: `pi_` + 24 random characters (Stripe's own length for most objects). */
export function newId(prefix: string, length = 24): string {
  return prefix + randomChars(length);
}

export function randomSuffix(length: number): string {
  return randomChars(length);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
