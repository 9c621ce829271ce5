-- The maintenance sweep looks for stored Stripe events never applied (their job was lost).
CREATE INDEX stripe_events_unprocessed ON stripe_events (received_at) WHERE processed_at IS NULL;
