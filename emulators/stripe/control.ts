import express, { type Router } from 'express';
import type { Ctx } from './context';
import { parseFault, type Faults } from './faults';
import type { WebhookDispatcher } from './webhooks';
import type { RateLimiter } from './api';
import { testCard } from './cards';
import { settleRefund } from './refunds';
import { release } from './ledger';
import { payOutAvailable } from './connect-money';
import { PLATFORM } from './store';

const REFUND_FAILURES = ['lost_or_stolen_card', 'expired_or_canceled_card', 'charge_for_pending_refund_disputed', 'insufficient_funds', 'declined', 'merchant_request', 'unknown'];

export interface ControlDeps {
  faults: Faults;
  dispatcher: WebhookDispatcher;
  limiter: RateLimiter;
  reset: () => void;
}

/** `/_emulator/*`: JSON, no auth, never rate-limited or faulted, for tests, the demo and the benchmark. */
export function registerControl(router: Router, ctx: Ctx, deps: ControlDeps): void {
  const json = express.json({ limit: '64kb' });
  const { store } = ctx;

  router.get('/_emulator', (_req, res) => void res.json({ ok: true, ops_per_second: deps.limiter.opsPerSecond }));

  router.get('/_emulator/payment_intents', (req, res) => {
    const { customer, status } = req.query;
    const data = Array.from(store.paymentIntents.values()).filter((p) => (!customer || p.customer === customer) && (!status || p.status === status));
    res.json({ data });
  });

  router.get('/_emulator/checkout_sessions', (_req, res) => void res.json({ data: Array.from(store.checkoutSessions.values()) }));

  router.get('/_emulator/customers', (_req, res) => void res.json({ data: Array.from(store.customers.values()) }));

  router.get('/_emulator/webhook_deliveries', (req, res) => {
    const { event, endpoint } = req.query;
    const data = deps.dispatcher.deliveries().filter((d) => (!event || d.event_id === event) && (!endpoint || d.endpoint_id === endpoint));
    res.json({ data });
  });

  router.get('/_emulator/faults', (_req, res) => void res.json({ data: deps.faults.list }));

  router.post('/_emulator/faults', json, (req, res) => {
    const fault = parseFault((req.body ?? {}) as Record<string, unknown>);
    if (typeof fault === 'string') return void res.status(400).json({ error: fault });
    deps.faults.add(fault);
    res.status(201).json(fault);
  });

  router.delete('/_emulator/faults', (_req, res) => {
    deps.faults.clear();
    res.status(204).end();
  });

  router.post('/_emulator/config', json, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.ops_per_second !== undefined) {
      const ops = Number(body.ops_per_second);
      if (!Number.isInteger(ops) || ops < 0) return void res.status(400).json({ error: 'ops_per_second must be a non-negative integer' });
      deps.limiter.opsPerSecond = ops;
    }
    res.json({ ops_per_second: deps.limiter.opsPerSecond });
  });

  /** Make a saved card behave like another test card from now on (e.g. it ran out of funds). */
  router.post('/_emulator/payment_methods/:id', json, (req, res) => {
    const state = store.cardStates.get(req.params.id);
    const card = testCard(String((req.body as Record<string, unknown> | undefined)?.behave_like ?? ''));
    if (!state) return void res.status(404).json({ error: 'no such payment method' });
    if (!card) return void res.status(400).json({ error: 'behave_like must be a test card token such as pm_card_chargeDeclinedInsufficientFunds' });
    state.card = card;
    res.json({ id: req.params.id, behave_like: card.token });
  });

  /** A pending refund settles, as Stripe's do some time later: `{status: 'succeeded'}` or `{status: 'failed', failure_reason?}`. */
  router.post('/_emulator/refunds/:id', json, (req, res) => {
    const refund = store.refunds.get(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!refund) return void res.status(404).json({ error: 'no such refund' });
    if (refund.status !== 'pending') return void res.status(409).json({ error: `refund is ${String(refund.status)}, not pending` });
    if (body.status !== 'succeeded' && body.status !== 'failed') return void res.status(400).json({ error: 'status must be succeeded or failed' });
    const reason = body.failure_reason === undefined ? undefined : String(body.failure_reason);
    if (reason !== undefined && !REFUND_FAILURES.includes(reason)) return void res.status(400).json({ error: `failure_reason must be one of ${REFUND_FAILURES.join(', ')}` });
    res.json(settleRefund(ctx, refund, { status: body.status, ...(reason ? { failure_reason: reason } : {}) }));
  });

  router.get('/_emulator/accounts', (_req, res) => void res.json({ data: Array.from(store.accounts.values()) }));

  /** `{account?: 'acct_...' | 'platform'}`: pending funds become available (Stripe waits out the payout delay); all accounts without one. */
  router.post('/_emulator/balance/release', json, (req, res) => {
    const account = (req.body as Record<string, unknown> | undefined)?.account;
    if (account !== undefined && account !== PLATFORM && (typeof account !== 'string' || !store.accounts.has(account))) {
      return void res.status(404).json({ error: 'no such account' });
    }
    release(ctx, account as string | undefined);
    res.status(204).end();
  });

  /** `{account?: 'acct_...'}` (platform without one): the automatic daily payout, paying out every currency's available balance. */
  router.post('/_emulator/payouts', json, (req, res) => {
    const account = (req.body as Record<string, unknown> | undefined)?.account;
    if (account !== undefined && (typeof account !== 'string' || !store.accounts.has(account))) return void res.status(404).json({ error: 'no such account' });
    res.json({ data: payOutAvailable(ctx, (account as string | undefined) ?? null) });
  });

  router.post('/_emulator/reset', (_req, res) => {
    deps.reset();
    res.status(204).end();
  });
}
