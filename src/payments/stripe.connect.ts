import type Stripe from 'stripe';
import type { AccountRequirements, ConnectedAccount, Payout, PaymentsPort, WebhookEvent } from './payments.port';
import { translate } from './stripe.errors';

function connectedAccount(a: Stripe.Account): ConnectedAccount {
  const r = a.requirements;
  const requirements: AccountRequirements = {
    currently_due: r?.currently_due ?? [],
    eventually_due: r?.eventually_due ?? [],
    past_due: r?.past_due ?? [],
    disabled_reason: r?.disabled_reason ?? null,
    current_deadline: r?.current_deadline ?? null,
  };
  return { id: a.id, chargesEnabled: a.charges_enabled === true, payoutsEnabled: a.payouts_enabled === true, detailsSubmitted: a.details_submitted === true, requirements };
}

/** The connected account carried by a verified `account.updated` event; null if it is not an account. */
export function accountFromEvent(object: WebhookEvent['object']): ConnectedAccount | null {
  if (object.object !== 'account' || typeof object.id !== 'string' || !object.id.startsWith('acct_')) return null;
  return connectedAccount(object as unknown as Stripe.Account);
}

function payout(p: Stripe.Payout): Payout {
  return {
    id: p.id, amount: p.amount, currency: p.currency, status: p.status, arrivalDate: p.arrival_date, created: p.created,
    method: p.method ?? 'standard', description: p.description ?? null, failureCode: p.failure_code ?? null, failureMessage: p.failure_message ?? null,
  };
}

type ConnectMethods = Pick<PaymentsPort, 'createConnectedAccount' | 'createAccountLink' | 'retrieveAccount' | 'balance' | 'payouts'>;

/** Stripe Connect in our words: the merchant's Express account, its onboarding, balance and payouts. */
export function connectMethods(stripe: Stripe): ConnectMethods {
  return {
    async createConnectedAccount({ merchantId, idempotencyKey }) {
      try {
        const account = await stripe.accounts.create(
          {
            type: 'express',
            capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
            metadata: { merchant_id: merchantId },
          },
          { idempotencyKey },
        );
        return connectedAccount(account);
      } catch (err) {
        translate(err);
      }
    },

    async createAccountLink({ account, refreshUrl, returnUrl }) {
      try {
        const link = await stripe.accountLinks.create({ account, refresh_url: refreshUrl, return_url: returnUrl, type: 'account_onboarding' });
        return { url: link.url, expiresAt: link.expires_at };
      } catch (err) {
        translate(err);
      }
    },

    async retrieveAccount(account) {
      try {
        return connectedAccount(await stripe.accounts.retrieve(account));
      } catch (err) {
        translate(err);
      }
    },

    async balance(account) {
      try {
        const b = await stripe.balance.retrieve({}, { stripeAccount: account });
        const money = (list: Array<{ amount: number; currency: string }>) => list.map((m) => ({ amount: m.amount, currency: m.currency }));
        return { available: money(b.available), pending: money(b.pending) };
      } catch (err) {
        translate(err);
      }
    },

    async payouts(account, page) {
      try {
        const list = await stripe.payouts.list({ limit: page.limit, ...(page.startingAfter ? { starting_after: page.startingAfter } : {}) }, { stripeAccount: account });
        return { data: list.data.map(payout), hasMore: list.has_more };
      } catch (err) {
        translate(err);
      }
    }
  };
}
