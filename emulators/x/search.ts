import { Router } from 'express';
import { requireAuth, scopeOf, type AuthConfig } from './auth';
import { compareIds, isNumericId } from './ids';
import { invalidRequest } from './problems';
import { rateLimit } from './ratelimit';
import { buildIncludes, parseRenderParams, renderTweet, type ParamError } from './render';
import { evaluate, parseRule, RuleSyntaxError, type RuleNode } from './rules';
import { subjectOf } from './posts';
import type { EmulatorState } from './state';

const MAX_QUERY = 512;
const WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

function encodeCursor(id: string): string {
  return Buffer.from(`next:${id}`).toString('base64url');
}

function decodeCursor(token: string): string | undefined {
  const raw = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^next:([0-9]{1,19})$/.exec(raw);
  return m?.[1];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function searchRoutes(state: EmulatorState, auth: AuthConfig): Router {
  const r = Router();
  r.get('/2/tweets/search/recent', requireAuth(auth, 'either'), rateLimit(state.limiter, 'search_recent', scopeOf), (req, res) => {
    const errors: ParamError[] = [];
    const params = parseRenderParams(req, errors);
    const q = req.query;
    const query = str(q.query) ?? '';
    let ast: RuleNode | undefined;
    if (!query.trim()) {
      errors.push({ parameter: 'query', value: query, message: 'The `query` query parameter can not be empty' });
    } else if (query.length > MAX_QUERY) {
      errors.push({ parameter: 'query', value: query, message: `The \`query\` query parameter value [${query}] exceeds the maximum length of ${MAX_QUERY} characters` });
    } else {
      try {
        ast = parseRule(query);
      } catch (err) {
        if (!(err instanceof RuleSyntaxError)) throw err;
        errors.push({ parameter: 'query', value: query, message: `There were errors processing your request: ${err.details.join(', ')}` });
      }
    }
    const maxRaw = str(q.max_results);
    const max = maxRaw === undefined ? 10 : Number(maxRaw);
    if (!Number.isInteger(max) || max < 10 || max > 100) {
      errors.push({ parameter: 'max_results', value: String(maxRaw), message: `The \`max_results\` query parameter value [${String(maxRaw)}] is not between 10 and 100` });
    }
    for (const name of ['since_id', 'until_id'] as const) {
      const v = str(q[name]);
      if (v !== undefined && !isNumericId(v)) errors.push({ parameter: name, value: v, message: `The \`${name}\` query parameter value [${v}] does not match ^[0-9]{1,19}$` });
    }
    const now = Date.now();
    const times: Record<'start_time' | 'end_time', number | undefined> = { start_time: undefined, end_time: undefined };
    for (const name of ['start_time', 'end_time'] as const) {
      const v = str(q[name]);
      if (v === undefined) continue;
      const t = Date.parse(v);
      if (!Number.isFinite(t)) {
        errors.push({ parameter: name, value: v, message: `The \`${name}\` query parameter value [${v}] is not a valid RFC3339 timestamp` });
      } else if (t < now - WINDOW_MS) {
        errors.push({ parameter: name, value: v, message: `Invalid '${name}':'${v}'. '${name}' must be on or after ${new Date(now - WINDOW_MS).toISOString()}` });
      } else {
        times[name] = t;
      }
    }
    const token = str(q.next_token) ?? str(q.pagination_token);
    let cursor: string | undefined;
    if (token !== undefined) {
      cursor = decodeCursor(token);
      if (!cursor) errors.push({ parameter: 'next_token', value: token, message: `The \`next_token\` query parameter value [${token}] is not valid` });
    }
    if (errors.length || !ast) return invalidRequest(res, errors);

    const sinceId = str(q.since_id);
    const untilId = str(q.until_id);
    const matched = state.store.livePostsNewestFirst().filter((p) => {
      const t = Date.parse(p.created_at);
      if (t < now - WINDOW_MS) return false;
      if (times.start_time !== undefined && t < times.start_time) return false;
      if (times.end_time !== undefined && t >= times.end_time) return false;
      if (sinceId && compareIds(p.id, sinceId) <= 0) return false;
      if (untilId && compareIds(p.id, untilId) >= 0) return false;
      if (cursor && compareIds(p.id, cursor) >= 0) return false;
      return evaluate(ast, subjectOf(state, p));
    });
    const page = matched.slice(0, max);
    const body: Record<string, unknown> = {};
    if (page.length) {
      body.data = page.map((p) => renderTweet(p, params.tweetFields));
      const includes = buildIncludes(state.store, page, params);
      if (includes) body.includes = includes;
    }
    const meta: Record<string, unknown> = {};
    const first = page[0];
    const last = page[page.length - 1];
    if (first && last) {
      meta.newest_id = first.id;
      meta.oldest_id = last.id;
    }
    meta.result_count = page.length;
    if (last && matched.length > page.length) meta.next_token = encodeCursor(last.id);
    body.meta = meta;
    res.json(body);
  });
  return r;
}
