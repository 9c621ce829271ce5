-- The statuses of src/orders/lifecycle.ts (the one place they are spelled; this check mirrors it).
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (
  'awaiting_signup', 'awaiting_details', 'awaiting_confirmation', 'waitlisted', 'reserved', 'charging',
  'requires_action', 'paid', 'failed', 'expired', 'sold_out', 'canceled', 'refunded', 'partially_refunded'));
