import { Router, type Request, type Response } from 'express';
import { appScopeOf, requireAuth, type AuthConfig } from './auth';
import { invalidRequest, sendProblem } from './problems';
import { rateLimit } from './ratelimit';
import { parseRenderParams, type ParamError } from './render';
import { parseRule, RuleSyntaxError, type RuleNode } from './rules';
import type { EmulatorState } from './state';
import type { RuleRecord } from './store';

const MAX_RULES = 1000;
const MAX_RULE_LENGTH = 1024;

function invalidRule(value: string, details: string[]): Record<string, unknown> {
  return { value, details, title: 'UnprocessableEntity', type: 'https://api.twitter.com/2/problems/invalid-rules' };
}

function view(rule: Pick<RuleRecord, 'id' | 'value' | 'tag'>): Record<string, string> {
  return rule.tag === undefined ? { id: rule.id, value: rule.value } : { id: rule.id, value: rule.value, tag: rule.tag };
}

function addRules(state: EmulatorState, req: Request, res: Response, add: unknown, dryRun: boolean): void {
  const { store } = state;
  if (!Array.isArray(add) || !add.length) {
    return invalidRequest(res, [{ message: '$.add: array must contain at least 1 rule' }]);
  }
  const errors: Record<string, unknown>[] = [];
  const accepted: Array<{ value: string; tag?: string; ast: RuleNode }> = [];
  let invalid = 0;
  const seen = new Set<string>();
  for (const item of add as unknown[]) {
    const value = typeof (item as { value?: unknown })?.value === 'string' ? (item as { value: string }).value : undefined;
    const rawTag = (item as { tag?: unknown })?.tag;
    if (value === undefined || (rawTag !== undefined && rawTag !== null && typeof rawTag !== 'string')) {
      return invalidRequest(res, [{ message: '$.add[*]: each rule needs a string "value" and an optional string "tag"' }]);
    }
    if (value.length > MAX_RULE_LENGTH) {
      invalid++;
      errors.push(invalidRule(value, [`Rule length exceeds the maximum of ${MAX_RULE_LENGTH} characters`]));
      continue;
    }
    let ast: RuleNode;
    try {
      ast = parseRule(value);
    } catch (err) {
      if (!(err instanceof RuleSyntaxError)) throw err;
      invalid++;
      errors.push(invalidRule(value, err.details));
      continue;
    }
    const existing = [...store.rules.values()].find((r) => r.value === value);
    if (existing || seen.has(value)) {
      errors.push({ value, ...(existing ? { id: existing.id } : {}), title: 'DuplicateRule', type: 'https://api.twitter.com/2/problems/duplicate-rules' });
      continue;
    }
    seen.add(value);
    accepted.push(typeof rawTag === 'string' ? { value, tag: rawTag, ast } : { value, ast });
  }
  const valid = add.length - invalid;
  // Any syntax error rejects the whole batch, so a rule set never lands half-applied.
  const create = invalid ? [] : accepted;
  if (!invalid && store.rules.size + create.length > MAX_RULES) {
    sendProblem(res, 403, {
      title: 'RulesCapExceeded',
      detail: `Rule cap exceeded: this app may have at most ${MAX_RULES} rules.`,
      type: 'https://api.twitter.com/2/problems/rule-cap',
      status: 403,
    });
    return;
  }
  const created: RuleRecord[] = create.map((r) => ({ id: store.ids.next(), ...r }));
  if (!dryRun) for (const r of created) store.rules.set(r.id, r);
  const body: Record<string, unknown> = {};
  if (created.length) body.data = created.map(view);
  body.meta = {
    sent: new Date().toISOString(),
    summary: { created: created.length, not_created: add.length - created.length, valid, invalid },
  };
  if (errors.length) body.errors = errors;
  res.status(invalid ? 200 : 201).json(body);
}

function deleteRules(state: EmulatorState, res: Response, del: unknown, dryRun: boolean): void {
  const { store } = state;
  const ids = (del as { ids?: unknown })?.ids;
  const values = (del as { values?: unknown })?.values;
  const wanted: Array<{ key: 'id' | 'value'; v: string }> = [];
  if (Array.isArray(ids)) for (const id of ids) wanted.push({ key: 'id', v: String(id) });
  if (Array.isArray(values)) for (const v of values) wanted.push({ key: 'value', v: String(v) });
  if (!wanted.length) return invalidRequest(res, [{ message: '$.delete: must contain a non-empty "ids" or "values" array' }]);
  const errors: Record<string, unknown>[] = [];
  const doomed: string[] = [];
  for (const w of wanted) {
    const rule = w.key === 'id' ? store.rules.get(w.v) : [...store.rules.values()].find((r) => r.value === w.v);
    if (!rule || doomed.includes(rule.id)) {
      errors.push({ value: w.v, details: ['Rule does not exist'], title: 'Invalid Request', type: 'https://api.twitter.com/2/problems/invalid-request' });
      continue;
    }
    doomed.push(rule.id);
  }
  if (!dryRun) for (const id of doomed) store.rules.delete(id);
  const body: Record<string, unknown> = {
    meta: { sent: new Date().toISOString(), summary: { deleted: doomed.length, not_deleted: wanted.length - doomed.length } },
  };
  if (errors.length) body.errors = errors;
  res.status(200).json(body);
}

export function filteredStreamRoutes(state: EmulatorState, auth: AuthConfig): Router {
  const r = Router();
  const app = requireAuth(auth, 'app');

  r.get('/2/tweets/search/stream', app, rateLimit(state.limiter, 'stream_connect', appScopeOf), (req, res) => {
    const errors: ParamError[] = [];
    const params = parseRenderParams(req, errors);
    if (errors.length) return invalidRequest(res, errors);
    state.hub.attach(req, res, params);
  });

  r.get('/2/tweets/search/stream/rules', app, rateLimit(state.limiter, 'rules_get', appScopeOf), (req, res) => {
    const idsParam = typeof req.query.ids === 'string' ? req.query.ids.split(',').filter(Boolean) : undefined;
    const rules = [...state.store.rules.values()].filter((rule) => !idsParam || idsParam.includes(rule.id));
    const body: Record<string, unknown> = {};
    if (rules.length) body.data = rules.map(view);
    body.meta = { sent: new Date().toISOString(), result_count: rules.length };
    res.json(body);
  });

  r.post('/2/tweets/search/stream/rules', app, rateLimit(state.limiter, 'rules_post', appScopeOf), (req, res) => {
    const dryRun = String(req.query.dry_run ?? 'false') === 'true';
    const body = (req.body ?? {}) as { add?: unknown; delete?: unknown };
    if (body.add !== undefined && body.delete !== undefined) {
      return invalidRequest(res, [{ message: 'A request may either add or delete rules, not both' }]);
    }
    if (body.add !== undefined) return addRules(state, req, res, body.add, dryRun);
    if (body.delete !== undefined) return deleteRules(state, res, body.delete, dryRun);
    return invalidRequest(res, [{ message: 'Rule request must contain an "add" or a "delete" element' }]);
  });

  return r;
}
