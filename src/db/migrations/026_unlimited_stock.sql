-- A product sells from unlimited stock when it has no inventory and none of its live variants
-- has one: its orders hold no units and its stock counters are not kept (no row lock per order).
-- Whether a variant is limited is kept on the product row, so that the matcher, under the row's
-- lock, reads the latest answer with the lock (a variant edit updates the product row too).
ALTER TABLE products ADD COLUMN limited_variants boolean NOT NULL DEFAULT false;
UPDATE products p SET limited_variants = true
WHERE EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id AND v.live AND v.inventory IS NOT NULL);
