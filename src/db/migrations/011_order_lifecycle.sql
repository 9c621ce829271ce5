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
