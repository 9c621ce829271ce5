-- Merchants are paid through Stripe Connect (issue 14): each merchant has at most one Express
-- connected account; what Stripe last said about it is kept here, current through account.updated.
ALTER TABLE merchants ADD COLUMN stripe_account_id text UNIQUE;
ALTER TABLE merchants ADD COLUMN charges_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE merchants ADD COLUMN payouts_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE merchants ADD COLUMN details_submitted boolean NOT NULL DEFAULT false;
-- {currently_due, eventually_due, past_due: [field names], disabled_reason, current_deadline}
ALTER TABLE merchants ADD COLUMN requirements jsonb NOT NULL
  DEFAULT '{"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": null, "current_deadline": null}';
-- When Stripe described the account (the event's `created`, or the time we read it): an older
-- account.updated, delivered late, never overwrites a newer state.
ALTER TABLE merchants ADD COLUMN account_synced_at timestamptz;
-- The operator's fee rule for this merchant; NULL = the platform's (PLATFORM_FEE_BPS / _FIXED).
-- A NULL part of an override falls back to the platform's part.
ALTER TABLE merchants ADD COLUMN fee_bps integer CHECK (fee_bps BETWEEN 0 AND 10000);
ALTER TABLE merchants ADD COLUMN fee_fixed jsonb;

-- How an order's charge was split, decided at the first charge attempt and kept for retries
-- (Stripe refuses the same idempotency key with other parameters) and for refunds: the
-- destination account (NULL = the charge stayed on the platform) and the platform's fee.
ALTER TABLE orders ADD COLUMN transfer_destination text;
ALTER TABLE orders ADD COLUMN application_fee_amount bigint CHECK (application_fee_amount >= 0 AND application_fee_amount <= amount);
ALTER TABLE orders ADD COLUMN transfer_id text;
ALTER TABLE orders ADD COLUMN split_decided boolean NOT NULL DEFAULT false;
