-- API keys are shown once: responses kept for Idempotency-Key replays no longer hold them
-- (src/http/idempotency.ts, shownOnce). Forget the ones stored before that, as a replay now answers them.
UPDATE idempotency_keys
   SET response_body = regexp_replace(response_body, '"(api_key|secret)":"hck_(test|live)_[A-Za-z0-9]+"', '"\1":null', 'g')
 WHERE response_body ~ '"(api_key|secret)":"hck_(test|live)_';
