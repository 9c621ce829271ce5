-- The statuses of src/orders/lifecycle.ts (the one place they are spelled; this check mirrors it).
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (
  'awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'charging',
  'requires_action', 'paid', 'failed', 'expired', 'sold_out', 'canceled', 'refunded', 'partially_refunded'));

-- Fulfilment, kept apart from the payment status (issue 11, section 2).
ALTER TABLE orders
  ADD COLUMN fulfillment_status text NOT NULL DEFAULT 'unfulfilled' CHECK (fulfillment_status IN ('unfulfilled', 'fulfilled')),
  ADD COLUMN fulfillment_carrier text,
  ADD COLUMN fulfillment_tracking_number text,
  ADD COLUMN fulfillment_tracking_url text,
  ADD COLUMN fulfilled_at timestamptz;

-- Merchant refunds (issue 11, section 3). Our row first (its id keys the Stripe call), then Stripe.
CREATE TABLE refunds (
  id               text PRIMARY KEY,
  order_id         text NOT NULL REFERENCES orders (id),
  merchant_id      text NOT NULL REFERENCES merchants (id),
  amount           bigint NOT NULL CHECK (amount > 0),
  currency         char(3) NOT NULL,
  reason           text CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer')),
  restock          boolean NOT NULL DEFAULT false,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  stripe_refund_id text UNIQUE,
  failure_reason   text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX refunds_order ON refunds (order_id, created_at, id);

-- Units go back to stock once per order, however many refunds ask for it.
ALTER TABLE orders ADD COLUMN restocked_at timestamptz;
