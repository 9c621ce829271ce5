import type { RequestHandler, Router } from 'express';
import type { ApiCall, Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { ApiError, invalidRequest, resourceMissing } from './errors';
import { newId, nowSeconds, randomSuffix } from './ids';
import { asParams, expand, expandPaths, list, mergeMetadata, metadata, requiredStr, str, type Params } from './params';
import type { Account, AccountLinkState } from './store';

/** What Stripe asks an Express account in the US before it can charge and be paid out. */
const ONBOARDING_REQUIREMENTS = [
  'business_profile.mcc',
  'business_profile.url',
  'business_type',
  'external_account',
  'representative.dob.day',
  'representative.email',
  'representative.first_name',
  'representative.last_name',
  'tos_acceptance.date',
  'tos_acceptance.ip',
];
/** Stripe's links expire after a few minutes; the emulator uses five. */
export const ACCOUNT_LINK_TTL_SECONDS = 300;
const CURRENCY_OF_COUNTRY: Record<string, string> = { US: 'usd', GB: 'gbp', JP: 'jpy', CA: 'cad', AU: 'aud', CH: 'chf', FR: 'eur', DE: 'eur', IE: 'eur', NL: 'eur', ES: 'eur', IT: 'eur' };

export function getAccount(ctx: Ctx, id: string, param = 'account'): Account {
  const account = ctx.store.accounts.get(id);
  if (!account) throw resourceMissing('account', id, param);
  return account;
}

/** The `Stripe-Account` header must name a connected account of this platform (Stripe answers 403 otherwise). */
export function actingAccount(ctx: Ctx, call: ApiCall): Account | null {
  if (!call.stripeAccount) return null;
  const account = ctx.store.accounts.get(call.stripeAccount);
  if (!account) {
    throw new ApiError(403, {
      type: 'invalid_request_error',
      code: 'account_invalid',
      message: `The provided key does not have access to account '${call.stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
    });
  }
  return account;
}

function requestedCapabilities(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(asParams(params.capabilities))) {
    const requested = asParams(value).requested;
    if (requested === 'true' || requested === true) out[name] = 'inactive';
  }
  return out;
}

export function createAccount(ctx: Ctx, params: Params, info: RequestInfo | null): Account {
  const type = str(params, 'type') ?? 'express';
  if (!['express', 'standard', 'custom'].includes(type)) throw invalidRequest(`Invalid type: must be one of custom, express, or standard`, 'type');
  const country = (str(params, 'country') ?? 'US').toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw invalidRequest(`Country '${country}' is unknown. Try using a 2-character alpha-2 country code instead, such as 'US', 'EG', or 'GB'.`, 'country');
  const account: Account = {
    id: newId('acct_', 16),
    object: 'account',
    business_profile: { mcc: null, name: null, product_description: null, support_email: null, url: null },
    business_type: null,
    capabilities: requestedCapabilities(params),
    charges_enabled: false,
    controller: { is_controller: true, type: 'application' },
    country,
    created: nowSeconds(),
    default_currency: (str(params, 'default_currency') ?? CURRENCY_OF_COUNTRY[country] ?? 'usd').toLowerCase(),
    details_submitted: false,
    email: str(params, 'email') ?? null,
    external_accounts: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
    future_requirements: { alternatives: [], current_deadline: null, currently_due: [], disabled_reason: null, errors: [], eventually_due: [], past_due: [], pending_verification: [] },
    livemode: false,
    metadata: metadata(params) ?? {},
    payouts_enabled: false,
    requirements: {
      alternatives: [],
      current_deadline: null,
      currently_due: [...ONBOARDING_REQUIREMENTS],
      disabled_reason: 'requirements.past_due',
      errors: [],
      eventually_due: [...ONBOARDING_REQUIREMENTS],
      past_due: [...ONBOARDING_REQUIREMENTS],
      pending_verification: [],
    },
    settings: { payouts: { debit_negative_balances: true, schedule: { delay_days: 2, interval: 'daily' }, statement_descriptor: null } },
    tos_acceptance: { date: null },
    type,
  };
  (account.external_accounts as { url: string }).url = `/v1/accounts/${account.id}/external_accounts`;
  ctx.store.accounts.set(account.id, account);
  // On Stripe, creating an account emits `account.updated` on the platform only once something changes; nothing here yet.
  void info;
  return account;
}

function snapshot(account: Account): Record<string, unknown> {
  return JSON.parse(JSON.stringify(account)) as Record<string, unknown>;
}

/** Stripe's `previous_attributes`: the old value of each top-level field that changed. */
function changedFields(before: Record<string, unknown>, after: Account): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(before)) if (JSON.stringify(v) !== JSON.stringify(after[k])) previous[k] = v;
  return previous;
}

/** Applies a change and emits `account.updated` (with `account` set, as a Connect event) when anything moved. */
export function updateAccount(ctx: Ctx, account: Account, change: (a: Account) => void, info: RequestInfo | null): Account {
  const before = snapshot(account);
  change(account);
  const previous = changedFields(before, account);
  if (Object.keys(previous).length > 0) ctx.events.emit('account.updated', account, info, previous, account.id);
  return account;
}

/** "Finish onboarding": everything is provided, so the account can charge and be paid out. */
export function finishOnboarding(ctx: Ctx, account: Account, info: RequestInfo | null): Account {
  return updateAccount(ctx, account, (a) => {
    a.details_submitted = true;
    a.charges_enabled = true;
    a.payouts_enabled = true;
    a.business_type = 'individual';
    a.tos_acceptance = { date: nowSeconds(), ip: '127.0.0.1', user_agent: null };
    for (const name of Object.keys(a.capabilities)) a.capabilities[name] = 'active';
    a.requirements = { ...a.requirements, currently_due: [], eventually_due: [], past_due: [], disabled_reason: null, current_deadline: null };
  }, info);
}

/** "Leave for later": the merchant got as far as the business type, so only that leaves the due lists. */
export function leaveOnboarding(ctx: Ctx, account: Account, info: RequestInfo | null): Account {
  return updateAccount(ctx, account, (a) => {
    a.business_type = 'individual';
    const without = (list: string[]) => list.filter((r) => r !== 'business_type');
    a.requirements = { ...a.requirements, currently_due: without(a.requirements.currently_due), eventually_due: without(a.requirements.eventually_due), past_due: without(a.requirements.past_due) };
  }, info);
}

function linkUrl(ctx: Ctx, token: string): string {
  return `${ctx.publicUrl()}/connect/onboarding/${token}`;
}

function absoluteUrl(params: Params, name: string): string {
  const url = requiredStr(params, name);
  if (!/^https?:\/\/\S+$/.test(url)) throw invalidRequest(`Not a valid URL`, name, 'url_invalid');
  return url;
}

export function registerAccounts(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;

  router.post('/v1/accounts', w(({ params, info }) => expand(createAccount(ctx, params, info), expandPaths(params), store)));

  router.get('/v1/accounts', w(({ params }) => list(store.accounts.values(), { url: '/v1/accounts', params })));

  router.get('/v1/accounts/:id', w(({ params, path }) => expand(getAccount(ctx, path.id!, 'account'), expandPaths(params), store)));

  router.post('/v1/accounts/:id', w(({ params, path, info }) => {
    const account = getAccount(ctx, path.id!, 'account');
    const email = str(params, 'email');
    updateAccount(ctx, account, (a) => {
      a.metadata = mergeMetadata(a.metadata, params);
      if (email !== undefined) a.email = email || null;
    }, info);
    return expand(account, expandPaths(params), store);
  }));

  router.post('/v1/account_links', w(({ params }) => {
    const accountId = requiredStr(params, 'account');
    const account = getAccount(ctx, accountId, 'account');
    const type = requiredStr(params, 'type');
    if (type !== 'account_onboarding' && type !== 'account_update') {
      throw invalidRequest(`Invalid type: must be one of account_onboarding or account_update`, 'type');
    }
    if (type === 'account_update' && account.type !== 'custom') {
      throw invalidRequest('You cannot create `account_update` type Account Links for Express or Standard accounts.', 'type');
    }
    const refreshUrl = absoluteUrl(params, 'refresh_url');
    const returnUrl = absoluteUrl(params, 'return_url');
    const created = nowSeconds();
    const link: AccountLinkState = { token: randomSuffix(32), account: account.id, refreshUrl, returnUrl, expiresAt: created + ACCOUNT_LINK_TTL_SECONDS, opened: false, used: false };
    store.accountLinks.set(link.token, link);
    return { object: 'account_link', created, expires_at: link.expiresAt, url: linkUrl(ctx, link.token) };
  }));
}
