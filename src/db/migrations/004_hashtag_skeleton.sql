-- What a hashtag looks like (UTS #39 skeleton, see src/products/hashtag.ts): no two live products
-- may look alike, across merchants. Filled by the service; rows that predate this migration are
-- filled by its data step (src/db/data-migrations.ts). NULL only for a pre-existing look-alike of
-- an older live product, which is logged so an operator can archive it.
ALTER TABLE products ADD COLUMN hashtag_skeleton text;
CREATE UNIQUE INDEX products_live_hashtag_skeleton ON products (hashtag_skeleton) WHERE status = 'active';
