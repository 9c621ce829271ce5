-- Who dealt with a stored Stripe event: NULL for its stripe-events job (every row before this
-- column), 'charge_in_flight' for a payment Stripe reported while our own off-session call for the order
-- was in flight. That call's answer settles the order, so the event is stored for the record as
-- already applied and costs no job.
ALTER TABLE stripe_events ADD COLUMN processed_by text;

-- An order that leaves `charging` without being paid (a retry refused, the card removed) hands
-- its deferred events back to the job: found by the order they name, only among those rows.
CREATE INDEX stripe_events_deferred_to_charge ON stripe_events ((payload #>> '{object,metadata,order_id}')) WHERE processed_by = 'charge_in_flight';
