-- A batch for limited stock checks for posts recorded while its sale was paused and handed on at
-- resume, not decided yet: they go first. Only the recent ones can still be waiting.
CREATE INDEX paused_posts_processed ON paused_posts (product_id, resolved_at) WHERE resolution = 'processed';
