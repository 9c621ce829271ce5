import type { Db, Queryable } from '../db/pool';
import { AppError, errors } from '../http/errors';
import type { LinkSigner } from '../links/links';
import type { Logger } from '../logger';
import { PaymentsRejectedError, PaymentsUnavailableError, type AccountBalance, type ConnectedAccount, type PaymentsPort, type Payout } from '../payments/payments.port';
import { effectiveRule, type FeeOverride, type FeeRule } from './platform-fee';
import * as repo from './merchants.repository';

export interface ConnectDeps {
  db: Db;
  /** Without it (a process not connected to Stripe) every Connect call answers 503. */
  payments?: PaymentsPort;
  signer: LinkSigner;
  publicBaseUrl: string;
  platformFee: FeeRule;
  log: Logger;
}

/** How long our refresh/return URLs (handed to Stripe inside an account link) keep working. */
const RETURN_LINK_TTL_S = 7 * 24 * 3600;

/** Stripe's `created` is in whole seconds: a state we read ourselves is stamped the same way, so an event of the same second still applies. */
const wholeSecond = (ms = Date.now()) => new Date(Math.floor(ms / 1000) * 1000);

/**
 * What Stripe says about a merchant's connected account (the `account.updated` webhook, or a read
 * when the merchant comes back from onboarding) becomes the merchant's charges_enabled,
 * payouts_enabled and requirements. Idempotent, and an older description never overwrites a newer one.
 * Returns the merchant it updated, if any (an account no merchant has is ignored).
 */
export async function applyAccountUpdated(db: Queryable, account: ConnectedAccount, describedAtUnix: number): Promise<repo.MerchantRow | undefined> {
  return repo.saveAccountState(db, account, new Date(describedAtUnix * 1000));
}

export const chargesNotEnabled = (merchantId: string) =>
  errors.conflict(
    'charges_not_enabled',
    `Merchant ${merchantId} cannot take live payments yet: its Stripe account does not have charges enabled. Finish onboarding (POST /v1/account/onboarding_link) and try again once the merchant shows charges_enabled: true`,
  );

/**
 * Live mode sells only for merchants Stripe lets take charges (their money must reach them); test
 * and sandbox modes let anyone sell, and those charges stay on the platform.
 */
export async function assertCanSell(db: Queryable, merchantId: string): Promise<void> {
  const { rows } = await db.query<{ charges_enabled: boolean }>('SELECT charges_enabled FROM merchants WHERE id = $1', [merchantId]);
  if (!rows[0]?.charges_enabled) throw chargesNotEnabled(merchantId);
}

/** A Stripe failure in the merchant's words: an outage is 503 (try again), a refusal 502 with Stripe's reason. */
function providerError(err: unknown): never {
  if (err instanceof PaymentsUnavailableError) throw errors.unavailable('Stripe could not be reached; try again shortly');
  if (err instanceof PaymentsRejectedError) throw new AppError(502, 'payment_provider_error', 'Stripe refused the request', `Stripe refused the request (${err.code})`);
  throw err;
}

export function createConnectService(d: ConnectDeps) {
  const payments = (): PaymentsPort => {
    if (!d.payments) throw errors.unavailable('Stripe Connect needs the payment provider, which this process is not connected to');
    return d.payments;
  };

  async function merchant(id: string): Promise<repo.MerchantRow> {
    const m = await repo.findMerchant(d.db, id);
    if (!m) throw errors.notFound('merchant', id);
    return m;
  }

  /** The merchant's connected account, created on first use (one per merchant, even when two first uses race). */
  async function accountOf(m: repo.MerchantRow): Promise<string> {
    if (m.stripe_account_id) return m.stripe_account_id;
    const account = await payments().createConnectedAccount({ merchantId: m.id, idempotencyKey: `connect-account-${m.id}` }).catch(providerError);
    const saved = await repo.attachStripeAccount(d.db, m.id, account.id);
    if (saved?.stripe_account_id === account.id) await repo.saveAccountState(d.db, account, wholeSecond());
    else d.log.warn({ merchant_id: m.id }, 'a second connected account was created for a merchant; the first is kept');
    return saved!.stripe_account_id!;
  }

  async function connectedAccountOf(merchantId: string): Promise<string> {
    const m = await merchant(merchantId);
    if (!m.stripe_account_id) {
      throw errors.conflict('account_not_onboarded', `Merchant ${merchantId} has no Stripe account yet; create an onboarding link first (POST /v1/account/onboarding_link)`);
    }
    return m.stripe_account_id;
  }

  /** Our pages Stripe sends the merchant back to; the token names the merchant and expires. */
  function returnUrls(merchantId: string): { refreshUrl: string; returnUrl: string } {
    const token = d.signer.sign('connect', `${merchantId}_${Math.floor(Date.now() / 1000) + RETURN_LINK_TTL_S}`);
    return { refreshUrl: `${d.publicBaseUrl}/connect/refresh/${token}`, returnUrl: `${d.publicBaseUrl}/connect/return/${token}` };
  }

  /** The merchant a return/refresh token names, or null when it is forged, altered or expired. */
  function merchantOfToken(token: string): string | null {
    const signed = d.signer.verify('connect', token);
    const m = signed ? /^(mer_[A-Za-z0-9]+)_(\d{1,12})$/.exec(signed) : null;
    return m && Number(m[2]) * 1000 > Date.now() ? m[1]! : null;
  }

  async function onboardingLink(merchantId: string): Promise<{ account: string; url: string; expiresAt: number }> {
    const account = await accountOf(await merchant(merchantId));
    const link = await payments().createAccountLink({ account, ...returnUrls(merchantId) }).catch(providerError);
    return { account, url: link.url, expiresAt: link.expiresAt };
  }

  return {
    onboardingLink,

    /** Stripe's link expired or was used: a fresh one, or null when our token is not valid. */
    async refreshOnboarding(token: string): Promise<string | null> {
      const merchantId = merchantOfToken(token);
      if (!merchantId || !(await repo.findMerchant(d.db, merchantId))) return null;
      return (await onboardingLink(merchantId)).url;
    },

    /**
     * The merchant is back from Stripe's onboarding: read the account now (the webhook may not
     * have arrived yet) so the page and the API say the same thing.
     */
    async finishOnboarding(token: string): Promise<repo.MerchantRow | null> {
      const merchantId = merchantOfToken(token);
      const m = merchantId ? await repo.findMerchant(d.db, merchantId) : undefined;
      if (!m?.stripe_account_id) return null;
      const account = await payments().retrieveAccount(m.stripe_account_id).catch(providerError);
      return (await repo.saveAccountState(d.db, account, wholeSecond())) ?? (await merchant(m.id));
    },

    async balance(merchantId: string): Promise<AccountBalance> {
      const account = await connectedAccountOf(merchantId);
      return payments().balance(account).catch(providerError);
    },

    async payouts(merchantId: string, page: { limit: number; startingAfter?: string }): Promise<{ data: Payout[]; hasMore: boolean }> {
      const account = await connectedAccountOf(merchantId);
      return payments().payouts(account, page).catch((err: unknown) => {
        // The only input Stripe can refuse here is the cursor: a payout id not on this account.
        if (err instanceof PaymentsRejectedError && page.startingAfter) {
          throw errors.validation(`query starting_after: no payout ${page.startingAfter} on this account`, [{ field: 'starting_after', message: 'is not a payout of this account' }]);
        }
        return providerError(err);
      });
    },

    async setPlatformFee(merchantId: string, override: FeeOverride | null): Promise<repo.MerchantRow> {
      const updated = await repo.setFeeOverride(d.db, merchantId, override ?? { bps: null, fixed: null });
      if (!updated) throw errors.notFound('merchant', merchantId);
      return updated;
    },

    /** The fee rule a merchant's sales pay, and whether it is the platform's or the merchant's own. */
    feeRuleOf: (m: repo.MerchantRow) => effectiveRule(d.platformFee, { bps: m.fee_bps, fixed: m.fee_fixed }),
  };
}
export type ConnectService = ReturnType<typeof createConnectService>;
