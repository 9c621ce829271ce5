-- Every buyer told within X's reply limits (issue 13, section 2).
-- A reply covered by a product's public notice ends `aggregated`: told, not posted one by one.
ALTER TABLE replies DROP CONSTRAINT IF EXISTS replies_status_check;
ALTER TABLE replies ADD CONSTRAINT replies_status_check CHECK (status IN ('pending', 'posted', 'refused', 'failed', 'aggregated'));
ALTER TABLE replies ADD COLUMN public_notice_id text;
-- Finding the pending notices of a product and the replies waiting ahead of them.
CREATE INDEX replies_pending_kind ON replies (kind) WHERE status = 'pending';

-- One public post by the shop per product and wave of notices it covers: "sold out; N waiting;
-- your place: <link>". The row is written (pending) before X is asked, so two workers never post
-- two; `covered` is how many individual notices it stands for.
CREATE TABLE public_notices (
  id          text PRIMARY KEY,
  product_id  text NOT NULL REFERENCES products (id),
  text        text NOT NULL,
  covered     integer NOT NULL DEFAULT 0,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'failed')),
  x_post_id   text,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  posted_at   timestamptz
);
-- At most one notice per product waiting to be posted at a time.
CREATE UNIQUE INDEX public_notices_one_pending ON public_notices (product_id) WHERE status = 'pending';

-- The email Checkout collected when the buyer saved a card: Stripe sends the receipt there
-- (PaymentIntent receipt_email). Kept off logs and public replies.
ALTER TABLE buyers ADD COLUMN email text;
-- The address a charge's receipt goes to, fixed at its first attempt (like shipping) so a retry
-- with the same idempotency key sends Stripe the same parameters.
ALTER TABLE orders ADD COLUMN receipt_email text;
