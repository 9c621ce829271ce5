-- Flash-sale waitlist and the #confirm step (issue 13, sections 1 and 3).
ALTER TABLE products
  ADD COLUMN waitlist boolean NOT NULL DEFAULT true,
  ADD COLUMN waitlist_limit integer CHECK (waitlist_limit >= 1),
  ADD COLUMN confirm text NOT NULL DEFAULT 'never' CHECK (confirm IN ('never', 'first_purchase', 'above_amount')),
  ADD COLUMN confirm_above_amount bigint CHECK (confirm_above_amount >= 0),
  ADD CONSTRAINT products_confirm_threshold CHECK (confirm <> 'above_amount' OR confirm_above_amount IS NOT NULL);

-- "Always ask me to confirm", set by the buyer on /account.
ALTER TABLE buyers ADD COLUMN always_confirm boolean NOT NULL DEFAULT false;

-- The waitlist in post order: promotion takes its head, positions count the ones ahead.
CREATE INDEX orders_waitlist ON orders (product_id, (tweet_id::numeric), id) WHERE status = 'waitlisted';
-- Confirmations that lapse (action_expires_at is the deadline): the sweep finds them by it.
CREATE INDEX orders_confirmation_due ON orders (action_expires_at) WHERE status = 'awaiting_confirmation';
