-- Product variants (size, colour ...): a product's options and the variants a buyer picks by
-- naming their values in the post. A variant has its own stock, and optionally its own price and
-- SKU. Its units left are derived from its orders (held, or paid and not restocked) under the
-- product's row lock, which every writer of stock already takes: no second counter to keep in
-- step. The product's own inventory is the sum of its variants' (null when one is unlimited).
ALTER TABLE products ADD COLUMN options jsonb NOT NULL DEFAULT '[]';

CREATE TABLE product_variants (
  id          text PRIMARY KEY,
  product_id  text NOT NULL REFERENCES products (id),
  merchant_id text NOT NULL REFERENCES merchants (id),
  -- {"Size": "M", "Colour": "black"}: one value of each of the product's options.
  options     jsonb NOT NULL,
  sku         text,
  unit_amount bigint CHECK (unit_amount >= 1),   -- NULL = the product's price
  inventory   integer CHECK (inventory >= 0),    -- NULL = unlimited
  position    integer NOT NULL,
  -- A variant dropped from the product is kept (its orders point at it) but never sells again.
  live        boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX product_variants_product ON product_variants (product_id, position) WHERE live;
CREATE UNIQUE INDEX product_variants_one_per_combination ON product_variants (product_id, options) WHERE live;
-- A SKU is unique among a merchant's live variants of active products: checked under a per-merchant
-- lock (src/variants/variants.service.ts), since archiving a product frees its SKUs.
CREATE INDEX product_variants_sku ON product_variants (merchant_id, sku) WHERE live AND sku IS NOT NULL;

-- The variant an order bought, and what it was then (id, sku, options): the order's record.
ALTER TABLE orders ADD COLUMN variant_id text REFERENCES product_variants (id), ADD COLUMN variant jsonb;
CREATE INDEX orders_variant ON orders (variant_id) INCLUDE (quantity, stock_held, paid_at, restocked_at) WHERE variant_id IS NOT NULL;
