-- Redis may lose everything: what ingest received, and how far it got, live here.

-- Every post ingest received, written before it is queued and before the cursor passes it.
-- A row whose post has an outcome (posts) is done and is pruned by the maintenance sweep; one
-- without an outcome after a while lost its job and is queued again by the sweep.
CREATE TABLE post_inbox (
  tweet_id    text PRIMARY KEY CHECK (tweet_id ~ '^[1-9][0-9]{0,19}$'),
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX post_inbox_received ON post_inbox (received_at);

-- Where a backfill starts after a gap: the highest post id whose post (and every one before it)
-- is in the inbox. Moves forward only.
CREATE TABLE ingest_cursor (
  name       text PRIMARY KEY,
  since_id   numeric(20, 0) NOT NULL CHECK (since_id > 0),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
