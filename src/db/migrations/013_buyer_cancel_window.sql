-- The buyer's cancel window (issue 11, section 3): a buyer who answers the receipt with #cancel
-- within the product's window, before fulfilment, gets the order canceled or fully refunded.
ALTER TABLE products ADD COLUMN cancel_window_minutes integer NOT NULL DEFAULT 15
  CHECK (cancel_window_minutes BETWEEN 0 AND 10080);
-- Where a buyer reaches the merchant once the window has closed: shown on the buyer's /account
-- page, never posted on X.
ALTER TABLE products ADD COLUMN support_email text;

-- Who asked for a refund, and the post its reply answers (a buyer's #cancel post; NULL = the purchase post).
ALTER TABLE refunds ADD COLUMN requested_by text NOT NULL DEFAULT 'merchant' CHECK (requested_by IN ('merchant', 'buyer'));
ALTER TABLE refunds ADD COLUMN reply_to_tweet_id text;
CREATE INDEX refunds_pending_reply_to ON refunds (reply_to_tweet_id) WHERE reply_to_tweet_id IS NOT NULL AND status = 'pending';

-- A #cancel post that answers one of our replies finds that reply's order by the id X gave it.
CREATE INDEX replies_x_reply ON replies (x_reply_id) WHERE x_reply_id IS NOT NULL;
