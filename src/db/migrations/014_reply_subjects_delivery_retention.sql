-- One reply per (post, kind) was right while a kind happened once per order. A refund can happen
-- several times (partial refunds): each succeeded refund is told to the buyer once, keyed by the
-- refund's id. Replies about the post or order as a whole keep subject_key NULL, and NULLS NOT
-- DISTINCT keeps those exactly one per (post, kind) as before.
ALTER TABLE replies ADD COLUMN subject_key text;
ALTER TABLE replies DROP CONSTRAINT replies_one_per_kind;
ALTER TABLE replies ADD CONSTRAINT replies_one_per_subject UNIQUE NULLS NOT DISTINCT (in_reply_to_tweet_id, kind, subject_key);

-- The maintenance sweep deletes merchant webhook deliveries that are over (delivered or given up)
-- and older than WEBHOOK_DELIVERY_RETENTION_DAYS: it finds them by when they finished.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE status <> 'pending';
