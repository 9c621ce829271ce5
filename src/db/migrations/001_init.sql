-- Hashtag Checkout: system of record. Money is bigint minor units + ISO 4217 currency.

CREATE TABLE merchants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX merchants_created ON merchants (created_at DESC, id DESC);

-- Keys are stored only as SHA-256 hashes; `hint` (prefix + last 4) lets people tell them apart.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  merchant_id  text NOT NULL REFERENCES merchants (id),
  key_hash     bytea NOT NULL UNIQUE,
  hint         text NOT NULL,
  mode         text NOT NULL CHECK (mode IN ('test', 'live')),
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  revoked_at   timestamptz
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created_at DESC);

CREATE TABLE products (
  id             text PRIMARY KEY,
  merchant_id    text NOT NULL REFERENCES merchants (id),
  name           text NOT NULL,
  description    text,
  hashtag        text NOT NULL,            -- as the merchant wrote it, without '#'
  hashtag_key    text NOT NULL,            -- NFKC + case fold: what matching compares
  unit_amount    bigint NOT NULL CHECK (unit_amount >= 0),
  currency       char(3) NOT NULL,
  inventory      integer CHECK (inventory >= 0),  -- NULL = unlimited
  reserved       integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold           integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
  max_per_order  integer NOT NULL DEFAULT 1 CHECK (max_per_order >= 1),
  starts_at      timestamptz,
  ends_at        timestamptz,
  metadata       jsonb NOT NULL DEFAULT '{}',
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  archived_at    timestamptz,
  CONSTRAINT products_never_oversold CHECK (inventory IS NULL OR reserved + sold <= inventory)
);
CREATE UNIQUE INDEX products_live_hashtag ON products (hashtag_key) WHERE status = 'active';
CREATE INDEX products_merchant ON products (merchant_id, created_at DESC, id DESC);

-- A buyer is an X user id; the handle is informational only (handles change and are re-issued).
CREATE TABLE buyers (
  id                  text PRIMARY KEY,
  x_user_id           text NOT NULL UNIQUE,
  x_username          text,
  stripe_customer_id  text UNIQUE,
  payment_method_id   text,
  card_brand          text,
  card_last4          text,
  daily_limit_amount  bigint CHECK (daily_limit_amount >= 0),
  linked_at           timestamptz,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Every post that reaches the worker, with exactly one outcome.
CREATE TABLE posts (
  tweet_id        text PRIMARY KEY,
  author_id       text NOT NULL,
  author_username text,
  text            text NOT NULL,
  posted_at       timestamptz,
  received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  outcome         text NOT NULL,
  reason          text,
  original_tweet_id text                     -- for edits: the first id in edit_history
);
CREATE INDEX posts_original ON posts (original_tweet_id) WHERE original_tweet_id IS NOT NULL;

CREATE TABLE orders (
  id                 text PRIMARY KEY,
  merchant_id        text NOT NULL REFERENCES merchants (id),
  product_id         text NOT NULL REFERENCES products (id),
  tweet_id           text NOT NULL,
  buyer_x_user_id    text NOT NULL,
  buyer_x_username   text,
  buyer_id           text REFERENCES buyers (id),
  quantity           integer NOT NULL CHECK (quantity >= 1),
  amount             bigint NOT NULL CHECK (amount >= 0),
  currency           char(3) NOT NULL,
  status             text NOT NULL CHECK (status IN ('awaiting_signup', 'awaiting_confirmation', 'reserved', 'charging',
                       'requires_action', 'paid', 'failed', 'expired', 'sold_out', 'canceled', 'refunded', 'partially_refunded')),
  stock_held         boolean NOT NULL DEFAULT false,
  reply_status       text NOT NULL DEFAULT 'none',
  failure_code       text,
  failure_message    text,
  payment_intent_id  text,
  checkout_session_id text,
  amount_refunded    bigint NOT NULL DEFAULT 0,
  action_expires_at  timestamptz,
  paid_at            timestamptz,
  created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT orders_one_per_post_product UNIQUE (tweet_id, product_id)
);
CREATE INDEX orders_merchant ON orders (merchant_id, created_at DESC, id DESC);
CREATE INDEX orders_merchant_status ON orders (merchant_id, status, created_at DESC);
CREATE INDEX orders_buyer ON orders (buyer_x_user_id, status);
CREATE UNIQUE INDEX orders_payment_intent ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

CREATE TABLE order_events (
  id          bigserial PRIMARY KEY,
  order_id    text NOT NULL REFERENCES orders (id),
  type        text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- One reply per (post, kind): the posted id is recorded before a retry could post again.
CREATE TABLE replies (
  id                   text PRIMARY KEY,
  in_reply_to_tweet_id text NOT NULL,
  order_id             text REFERENCES orders (id),
  kind                 text NOT NULL,
  text                 text NOT NULL,
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'refused', 'failed')),
  x_reply_id           text,
  error                text,
  created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  posted_at            timestamptz,
  CONSTRAINT replies_one_per_kind UNIQUE (in_reply_to_tweet_id, kind)
);

CREATE TABLE stripe_events (
  id            text PRIMARY KEY,
  type          text NOT NULL,
  payload       jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  processed_at  timestamptz
);

-- Merchant API idempotency (Stripe semantics), kept 24 h.
CREATE TABLE idempotency_keys (
  scope         text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  status_code   integer,
  response_body text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Signup links: single use, bound to one X user id and one order.
CREATE TABLE signup_tokens (
  id          text PRIMARY KEY,
  x_user_id   text NOT NULL,
  order_id    text NOT NULL REFERENCES orders (id),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
