import type { RequestHandler, Router } from 'express';
import type { Ctx, RequestInfo } from './context';
import type { Handler } from './api';
import { invalidRequest, resourceMissing } from './errors';
import { newId, nowSeconds, randomSuffix } from './ids';
import { expand, expandPaths, int, list, metadata, requiredStr, str } from './params';
import { actingAccount } from './accounts';
import { balanceObject, balancesOf, debit } from './ledger';
import { balanceInsufficient } from './destination-charges';
import { PLATFORM, type Payout, type StripeObject } from './store';

/** Payouts by owner (connected account id or PLATFORM), oldest first. */
const owners = new WeakMap<Payout, string>();

export interface PayoutOptions {
  automatic: boolean;
  description?: string | null;
  metadata?: Record<string, string>;
}

export function createPayout(ctx: Ctx, account: string | null, amount: number, currency: string, opts: PayoutOptions, info: RequestInfo | null): Payout {
  const { automatic } = opts;
  const created = nowSeconds();
  const payout: Payout = {
    id: newId('po_'),
    object: 'payout',
    amount,
    arrival_date: created,
    automatic,
    balance_transaction: newId('txn_'),
    created,
    currency,
    description: opts.description ?? (automatic ? 'STRIPE PAYOUT' : null),
    destination: `ba_${randomSuffix(24)}`,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: opts.metadata ?? {},
    method: 'standard',
    source_type: 'card',
    statement_descriptor: null,
    status: 'paid',
    type: 'bank_account',
  };
  owners.set(payout, account ?? PLATFORM);
  debit(ctx, account, currency, amount);
  // Funds are already available, so the emulator's payouts arrive at once (Stripe's take a day or more).
  ctx.store.payouts.set(payout.id, payout);
  ctx.events.emit('payout.created', payout, info, undefined, account ?? undefined);
  ctx.events.emit('payout.paid', payout, info, undefined, account ?? undefined);
  return payout;
}

/** What Stripe's automatic daily payout does: every currency's positive available balance is paid out. */
export function payOutAvailable(ctx: Ctx, account: string | null): Payout[] {
  const out: Payout[] = [];
  for (const [currency, b] of balancesOf(ctx, account)) {
    if (b.available > 0) out.push(createPayout(ctx, account, b.available, currency, { automatic: true }, null));
  }
  return out;
}

function payoutsOf(ctx: Ctx, account: string | null): Payout[] {
  const owner = account ?? PLATFORM;
  return Array.from(ctx.store.payouts.values()).filter((p) => owners.get(p) === owner);
}

function subList(items: StripeObject[], url: string, params: Record<string, unknown>) {
  // Stored newest first (as Stripe shows them); list() expects oldest first.
  return list([...items].reverse(), { url, params });
}

export function registerConnectMoney(router: Router, ctx: Ctx, w: (h: Handler) => RequestHandler): void {
  const { store } = ctx;
  const transfer = (id: string) => {
    const t = store.transfers.get(id);
    if (!t) throw resourceMissing('transfer', id, 'id');
    return t;
  };
  const fee = (id: string) => {
    const f = store.applicationFees.get(id);
    if (!f) throw resourceMissing('application fee', id, 'id');
    return f;
  };

  router.get('/v1/transfers', w(({ params }) => {
    const destination = str(params, 'destination');
    const group = str(params, 'transfer_group');
    const items = Array.from(store.transfers.values()).filter((t) => (!destination || t.destination === destination) && (!group || t.transfer_group === group));
    return list(items, { url: '/v1/transfers', params });
  }));
  router.get('/v1/transfers/:id', w(({ params, path }) => expand(transfer(path.id!), expandPaths(params), store)));
  router.get('/v1/transfers/:id/reversals', w(({ params, path }) => subList(transfer(path.id!).reversals.data, `/v1/transfers/${path.id!}/reversals`, params)));
  router.get('/v1/transfers/:id/reversals/:reversal', w(({ path }) => {
    const r = transfer(path.id!).reversals.data.find((x) => x.id === path.reversal);
    if (!r) throw resourceMissing('transfer reversal', path.reversal!, 'id');
    return r;
  }));

  router.get('/v1/application_fees', w(({ params }) => {
    const charge = str(params, 'charge');
    const items = Array.from(store.applicationFees.values()).filter((f) => !charge || f.charge === charge || f.originating_transaction === charge);
    return list(items, { url: '/v1/application_fees', params });
  }));
  router.get('/v1/application_fees/:id', w(({ params, path }) => expand(fee(path.id!), expandPaths(params), store)));
  router.get('/v1/application_fees/:id/refunds', w(({ params, path }) => subList(fee(path.id!).refunds.data, `/v1/application_fees/${path.id!}/refunds`, params)));

  router.get('/v1/balance', w((call) => {
    const account = actingAccount(ctx, call);
    return balanceObject(ctx, account?.id ?? null, account?.default_currency ?? 'usd');
  }));

  router.get('/v1/payouts', w((call) => {
    const account = actingAccount(ctx, call);
    const status = str(call.params, 'status');
    const items = payoutsOf(ctx, account?.id ?? null).filter((p) => !status || p.status === status);
    return list(items, { url: '/v1/payouts', params: call.params });
  }));

  router.get('/v1/payouts/:id', w((call) => {
    const account = actingAccount(ctx, call);
    const payout = store.payouts.get(call.path.id!);
    if (!payout || owners.get(payout) !== (account?.id ?? PLATFORM)) throw resourceMissing('payout', call.path.id!, 'id');
    return payout;
  }));

  router.post('/v1/payouts', w((call) => {
    const account = actingAccount(ctx, call);
    const amount = int(call.params, 'amount');
    if (amount === undefined) throw invalidRequest('Missing required param: amount.', 'amount', 'parameter_missing');
    if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'amount');
    const currency = requiredStr(call.params, 'currency').toLowerCase();
    const available = balancesOf(ctx, account?.id ?? null).get(currency)?.available ?? 0;
    if (amount > available) throw balanceInsufficient();
    const options = { automatic: false, description: str(call.params, 'description') ?? null, metadata: metadata(call.params) ?? {} };
    return createPayout(ctx, account?.id ?? null, amount, currency, options, call.info);
  }));
}
