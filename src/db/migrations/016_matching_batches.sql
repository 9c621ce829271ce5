-- Batches of posts being matched right now, so stock goes in post-time order across concurrent
-- batches too: a batch that would take units of a product with limited stock first waits for
-- every live batch that holds earlier posts for the same hashtag (src/posts/batch-turns.ts).
-- A row lives from a batch's start to its commit. Its batch holds a session advisory lock keyed by
-- the id while it runs, so a batch whose process died (the lock went with its connection) is
-- not waited for. Ids start at 2^40: far from the small advisory keys used elsewhere (migrations).
CREATE TABLE matching_batches (
  id            bigint GENERATED ALWAYS AS IDENTITY (START WITH 1099511627776) PRIMARY KEY,
  first_post_id numeric(20) NOT NULL,
  hashtag_keys  text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
