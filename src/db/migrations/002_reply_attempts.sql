-- A reply attempted before may already be on X: a retry looks for it before posting again.
ALTER TABLE replies ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE replies ADD COLUMN last_attempt_at timestamptz;
