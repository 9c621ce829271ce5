-- Merchant webhooks: order_events is the outbox. An event is fanned out once (dispatched_at),
-- its payload is written then, and every (event, endpoint) pair gets one delivery row that
-- holds the retry schedule, so nothing depends on Redis keeping a job.

-- Events written before this feature count as dispatched: a deploy must not replay history to
-- new endpoints. A constant default is metadata-only; dropping it leaves new rows NULL.
ALTER TABLE order_events ADD COLUMN dispatched_at timestamptz DEFAULT now();
ALTER TABLE order_events ALTER COLUMN dispatched_at DROP DEFAULT;
ALTER TABLE order_events ADD COLUMN payload jsonb;
CREATE INDEX order_events_undispatched ON order_events (id) WHERE dispatched_at IS NULL;

CREATE TABLE webhook_endpoints (
  id                          text PRIMARY KEY,
  merchant_id                 text NOT NULL REFERENCES merchants (id),
  url                         text NOT NULL,
  description                 text,
  enabled_events              text[] NOT NULL,
  -- Signing secrets are kept encrypted (AES-256-GCM, key derived from SIGNING_SECRET): we must
  -- sign with them, so a hash will not do, and a database dump alone must not let anyone forge.
  secret_box                  text NOT NULL,
  previous_secret_box         text,
  previous_secret_expires_at  timestamptz,
  disabled                    boolean NOT NULL DEFAULT false,
  disabled_reason             text,
  -- A delivery given up while nothing has succeeded since its event disables the endpoint.
  last_success_at             timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at                  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
  id                text PRIMARY KEY,
  endpoint_id       text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id          bigint NOT NULL REFERENCES order_events (id),
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz,
  last_attempt_at   timestamptz,
  last_status_code  integer,
  last_latency_ms   integer,
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT webhook_deliveries_once UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
