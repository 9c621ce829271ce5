import { Router } from 'express';
import { merchantId } from '../http/auth';
import { parseBody, parseQuery, pathId } from '../http/validate';
import { renderPage } from '../pages/render';
import type { Payout } from '../payments/payments.port';
import type { ConnectService } from './connect.service';
import { listPayoutsQuery, onboardingLinkBody, updateMerchantBody } from './connect.schema';
import type { MerchantRow } from './merchants.repository';
import type { MerchantsService } from './merchants.service';
import { presentMerchant } from './merchants.routes';

const presentLink = (link: { account: string; url: string; expiresAt: number }) => ({ object: 'onboarding_link' as const, url: link.url, expires_at: link.expiresAt, account: link.account });

const presentPayout = (p: Payout) => ({
  id: p.id, object: 'payout' as const, amount: p.amount, currency: p.currency, status: p.status, arrival_date: p.arrivalDate, created: p.created,
  method: p.method, description: p.description, failure_code: p.failureCode, failure_message: p.failureMessage,
});

/** Operator endpoints on /v1/merchants: onboarding links and the fee override. The caller mounts them behind requireAdmin. */
export function connectOperatorRouter(connect: ConnectService): Router {
  const r = Router();
  r.post('/:id/onboarding_link', async (req, res) => {
    const id = pathId(req.params.id, 'mer', 'merchant');
    parseBody(onboardingLinkBody, req.body);
    res.status(201).json(presentLink(await connect.onboardingLink(id)));
  });
  r.patch('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'mer', 'merchant');
    const body = parseBody(updateMerchantBody, req.body);
    const override = body.platform_fee === null ? null : { bps: body.platform_fee.bps ?? null, fixed: body.platform_fee.fixed ?? null };
    const m = await connect.setPlatformFee(id, override);
    res.json(presentMerchant(m, connect.feeRuleOf(m)));
  });
  return r;
}

/** The calling merchant's own account (/v1/account), balance (/v1/balance) and payouts (/v1/payouts). */
export function connectMerchantRouters(connect: ConnectService, merchants: MerchantsService): { account: Router; balance: Router; payouts: Router } {
  const account = Router();
  account.get('/', async (req, res) => {
    const m = await merchants.get(merchantId(req));
    res.json(presentMerchant(m, connect.feeRuleOf(m)));
  });
  account.post('/onboarding_link', async (req, res) => {
    parseBody(onboardingLinkBody, req.body);
    res.status(201).json(presentLink(await connect.onboardingLink(merchantId(req))));
  });

  const balance = Router();
  balance.get('/', async (req, res) => {
    const id = merchantId(req);
    const m = await merchants.get(id);
    const b = await connect.balance(id);
    res.json({ object: 'balance', account: m.stripe_account_id, available: b.available, pending: b.pending });
  });

  const payouts = Router();
  payouts.get('/', async (req, res) => {
    const q = parseQuery(listPayoutsQuery, req.query);
    const page = await connect.payouts(merchantId(req), { limit: q.limit, startingAfter: q.starting_after });
    res.json({ object: 'list', data: page.data.map(presentPayout), has_more: page.hasMore, url: '/v1/payouts' });
  });
  return { account, balance, payouts };
}

/** Stripe's requirement names (`representative.dob.day`, `tos_acceptance.ip`) grouped into what a person would call them. */
const REQUIREMENT_LABELS: Array<[RegExp, string]> = [
  [/^external_account/, 'a bank account for payouts'],
  [/^tos_acceptance\./, "acceptance of Stripe's terms"],
  [/^business_profile\./, 'business details'],
  [/^business_type$/, 'the type of business'],
  [/^(representative|individual|person_[^.]+)\./, "the representative's personal details"],
  [/^(company|owners|directors|executives)\b/, 'company details'],
  [/^documents?\b/, 'identity documents'],
];

const stillDue = (m: MerchantRow): string[] => [
  ...new Set([...m.requirements.past_due, ...m.requirements.currently_due].map((field) =>
    REQUIREMENT_LABELS.find(([pattern]) => pattern.test(field))?.[1] ?? field.replace(/[._]/g, ' '))),
];

/**
 * Where Stripe sends a merchant during onboarding: /connect/refresh/<token> when its link expired
 * or was used (a new link, at once), /connect/return/<token> when it left Stripe's pages (where it stands).
 */
export function connectPages(connect: ConnectService): Router {
  const r = Router();
  const invalid = { heading: 'This onboarding link is not valid', lines: ['It may have expired. Ask for a new onboarding link through the API (POST /v1/account/onboarding_link).'] };
  r.get('/connect/refresh/:token', async (req, res) => {
    const url = await connect.refreshOnboarding(String(req.params.token));
    if (!url) return renderPage(res, 404, 'message', invalid);
    res.redirect(303, url);
  });
  r.get('/connect/return/:token', async (req, res) => {
    const m = await connect.finishOnboarding(String(req.params.token));
    if (!m) return renderPage(res, 404, 'message', invalid);
    const due = stillDue(m);
    if (m.charges_enabled && due.length === 0) {
      return renderPage(res, 200, 'message', {
        heading: 'Onboarding finished',
        lines: [`${m.name} can take payments${m.payouts_enabled ? ' and will be paid out to its bank' : ''}. You can close this page.`],
      });
    }
    return renderPage(res, 200, 'message', {
      heading: 'Onboarding is not finished yet',
      lines: [
        m.charges_enabled ? `${m.name} can take payments, but Stripe still needs a few details.` : `${m.name} cannot take payments until Stripe has what it needs.`,
        ...(due.length ? [`Still due: ${due.join(', ')}.`] : ['Stripe is reviewing the details; this can take a few minutes.']),
      ],
      linkHref: `/connect/refresh/${String(req.params.token)}`,
      linkText: 'Continue onboarding',
    });
  });
  return r;
}
