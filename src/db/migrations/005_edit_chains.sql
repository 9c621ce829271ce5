-- One purchase per edit chain. Every version of an edited post shares a chain id: the first id of
-- its edit history (a post never edited is its own chain). The first version that places an order
-- holds the key, so no other version (a later edit, or an original that arrives after its edit)
-- can charge again, even when two versions are matched at the same moment.
ALTER TABLE orders ADD COLUMN chain_id text;
UPDATE orders SET chain_id = c.chain_id
FROM (
  SELECT DISTINCT ON (COALESCE(p.original_tweet_id, p.tweet_id)) o.id, COALESCE(p.original_tweet_id, p.tweet_id) AS chain_id
  FROM orders o JOIN posts p ON p.tweet_id = o.tweet_id
  ORDER BY COALESCE(p.original_tweet_id, p.tweet_id), o.created_at, o.id
) AS c
WHERE orders.id = c.id;
CREATE UNIQUE INDEX orders_one_per_edit_chain ON orders (chain_id);
