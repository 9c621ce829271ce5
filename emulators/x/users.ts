import { Router, type Request, type Response } from 'express';
import { principalOf, requireAuth, scopeOf, type AuthConfig } from './auth';
import { isNumericId } from './ids';
import { invalidRequest, notFoundError } from './problems';
import { rateLimit } from './ratelimit';
import { parseUserParams, renderUser, type ParamError } from './render';
import type { EmulatorState } from './state';
import type { UserRecord } from './store';

const USERNAME = /^[A-Za-z0-9_]{1,15}$/;

function answer(req: Request, res: Response, user: UserRecord | undefined, parameter: 'id' | 'username', value: string): void {
  const errors: ParamError[] = [];
  const params = parseUserParams(req, errors);
  if (errors.length) return invalidRequest(res, errors);
  // X answers an unknown user with 200 and an errors array, not 404.
  if (!user) return void res.json({ errors: [notFoundError('user', parameter, value)] });
  res.json({ data: renderUser(user, params.userFields) });
}

export function userRoutes(state: EmulatorState, auth: AuthConfig): Router {
  const r = Router();
  const lookupLimit = rateLimit(state.limiter, 'users_lookup', scopeOf);

  r.get('/2/users/me', requireAuth(auth, 'user', ['users.read']), rateLimit(state.limiter, 'users_me', scopeOf), (req, res) => {
    const userId = (principalOf(res) as { userId: string }).userId;
    answer(req, res, state.store.users.get(userId), 'id', userId);
  });

  r.get('/2/users/by/username/:username', requireAuth(auth, 'either'), lookupLimit, (req, res) => {
    const username = String(req.params.username);
    if (!USERNAME.test(username)) {
      return invalidRequest(res, [{ parameter: 'username', value: username, message: `The \`username\` query parameter value [${username}] does not match ^[A-Za-z0-9_]{1,15}$` }]);
    }
    answer(req, res, state.store.userByUsername(username), 'username', username);
  });

  r.get('/2/users/by', requireAuth(auth, 'either'), lookupLimit, (req, res) => {
    const names = typeof req.query.usernames === 'string' ? req.query.usernames.split(',').filter(Boolean) : [];
    if (!names.length) return invalidRequest(res, [{ parameter: 'usernames', value: '', message: 'The `usernames` query parameter can not be empty' }]);
    const errors: ParamError[] = [];
    const params = parseUserParams(req, errors);
    if (errors.length) return invalidRequest(res, errors);
    const data: Record<string, unknown>[] = [];
    const missing: Record<string, unknown>[] = [];
    for (const n of names) {
      const u = state.store.userByUsername(n);
      if (u) data.push(renderUser(u, params.userFields));
      else missing.push(notFoundError('user', 'usernames', n));
    }
    res.json({ ...(data.length ? { data } : {}), ...(missing.length ? { errors: missing } : {}) });
  });

  // Many users by id in one request (X: 1-100 ids), what a batch's buyer look-up uses.
  r.get('/2/users', requireAuth(auth, 'either'), lookupLimit, (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : [];
    if (!ids.length || ids.length > 100) {
      return invalidRequest(res, [{ parameter: 'ids', value: String(req.query.ids ?? ''), message: 'The `ids` query parameter value must list 1 to 100 ids' }]);
    }
    const bad = ids.find((id) => !isNumericId(id));
    if (bad) return invalidRequest(res, [{ parameter: 'ids', value: bad, message: `The \`ids\` query parameter value [${bad}] does not match ^[0-9]{1,19}$` }]);
    const errors: ParamError[] = [];
    const params = parseUserParams(req, errors);
    if (errors.length) return invalidRequest(res, errors);
    const data: Record<string, unknown>[] = [];
    const missing: Record<string, unknown>[] = [];
    for (const id of ids) {
      const u = state.store.users.get(id);
      if (u) data.push(renderUser(u, params.userFields));
      else missing.push(notFoundError('user', 'ids', id));
    }
    res.json({ ...(data.length ? { data } : {}), ...(missing.length ? { errors: missing } : {}) });
  });

  r.get('/2/users/:id', requireAuth(auth, 'either'), lookupLimit, (req, res) => {
    const id = String(req.params.id);
    if (!isNumericId(id)) {
      return invalidRequest(res, [{ parameter: 'id', value: id, message: `The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$` }]);
    }
    answer(req, res, state.store.users.get(id), 'id', id);
  });
  return r;
}
