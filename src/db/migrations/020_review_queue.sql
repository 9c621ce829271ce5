-- The review queue (issue 15): orders held before charging, with their units, until the merchant
-- approves or rejects them or the review window closes.

ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (
  'awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'in_review', 'charging',
  'requires_action', 'paid', 'failed', 'expired', 'sold_out', 'canceled', 'refunded', 'partially_refunded'));

ALTER TABLE orders
  ADD COLUMN review_reasons text[],
  ADD COLUMN review_expires_at timestamptz,
  ADD COLUMN review_on_expiry text CHECK (review_on_expiry IN ('approve', 'reject'));
CREATE INDEX orders_review_expiry ON orders (review_expires_at) WHERE status = 'in_review';

-- Rules (validated by the API): a product's own, else its merchant's default, else none.
ALTER TABLE products ADD COLUMN review_rules jsonb;
ALTER TABLE merchants ADD COLUMN review_rules jsonb;

-- What X said about a buyer's account, fetched once per buyer.
CREATE TABLE x_account_facts (
  x_user_id          text PRIMARY KEY,
  account_created_at timestamptz,
  followers_count    integer,
  fetched_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
