-- Merchant controls (issue 15): blocklists, the pause switch, and which products a post named
-- (what the sales report counts posts by).

-- X accounts that may not buy: a merchant's (merchant_id set) or the operator's, for every
-- merchant (merchant_id NULL). The X user id is the identity; the handle is what it was when added.
CREATE TABLE blocked_accounts (
  id           text PRIMARY KEY,
  merchant_id  text REFERENCES merchants (id),
  x_user_id    text NOT NULL CHECK (x_user_id ~ '^[0-9]{1,19}$'),
  x_username   text,
  note         text,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX blocked_accounts_one_per_owner ON blocked_accounts (COALESCE(merchant_id, ''), x_user_id);
CREATE INDEX blocked_accounts_user ON blocked_accounts (x_user_id);
CREATE INDEX blocked_accounts_list ON blocked_accounts (COALESCE(merchant_id, ''), created_at DESC, id DESC);

-- A paused product records purchase posts instead of selling; `pause_replies`: one reply per buyer.
ALTER TABLE products
  ADD COLUMN paused_at timestamptz,
  ADD COLUMN pause_replies boolean NOT NULL DEFAULT false;

-- The operator's switch for every product at once: one row while paused.
CREATE TABLE operator_pause (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  paused_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  replies    boolean NOT NULL DEFAULT false
);

-- Purchase posts that arrived while a sale was paused, kept whole (the post as ingest saw it) so a
-- resume can put them through the pipeline in post order, or close them.
-- No foreign keys here or in post_products: the matcher writes both inside its batch transaction,
-- and a key check's share lock on the product row would deadlock with another batch's stock lock.
CREATE TABLE paused_posts (
  tweet_id    text PRIMARY KEY,
  product_id  text NOT NULL,
  merchant_id text NOT NULL,
  author_id   text NOT NULL,
  scope       text NOT NULL CHECK (scope IN ('product', 'operator')),
  payload     jsonb NOT NULL,
  paused_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  resolution  text CHECK (resolution IN ('processed', 'closed')),
  resolved_at timestamptz
);
CREATE INDEX paused_posts_open ON paused_posts (product_id, author_id) WHERE resolution IS NULL;
CREATE INDEX paused_posts_open_scope ON paused_posts (scope) WHERE resolution IS NULL;

-- The live products a post's hashtags named when it was decided (whatever its outcome).
CREATE TABLE post_products (
  tweet_id    text NOT NULL,
  product_id  text NOT NULL,
  merchant_id text NOT NULL,
  PRIMARY KEY (tweet_id, product_id)
);
CREATE INDEX post_products_merchant ON post_products (merchant_id, product_id);
