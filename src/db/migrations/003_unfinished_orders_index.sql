-- The maintenance sweep looks for unfinished orders by age every 30 s.
CREATE INDEX orders_unfinished ON orders (status, updated_at)
  WHERE status IN ('reserved', 'charging', 'requires_action', 'awaiting_signup');
