import type { NextFunction, Request, Response } from 'express';
import { errors } from './errors';

/** Far deeper than any body of the API (metadata values sit at depth 2). */
export const MAX_JSON_DEPTH = 20;

function deeperThan(value: unknown, max: number): boolean {
  // Iterative on purpose: a body of 100 kB can nest 50,000 levels, which JSON.parse accepts and any
  // recursive walk (JSON.stringify for the idempotency fingerprint, a logger) turns into a stack overflow.
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Refuses a parsed JSON body that nests deeper than `max` objects or arrays. */
export function limitJsonDepth(max = MAX_JSON_DEPTH) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (deeperThan(req.body, max)) throw errors.validation(`The body nests objects or arrays deeper than ${max} levels`);
    next();
  };
}
