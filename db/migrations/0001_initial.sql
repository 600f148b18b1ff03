-- pagelift base schema: the seed schema (shared/seed/database-schema.md) made Citus-ready, with the event table
-- partitioned by month and the tables the foundation needs (jobs, webhook deliveries, OAuth states).
-- Every deviation from the seed and the reason for it is in docs/schema.md.
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

-- ---------------------------------------------------------------------------------------------------------------
-- shops: the reference table (replicated to every node under Citus); every other shop-owned table points here.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE shops (
  id                        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Short unguessable id used in storefront URLs (/v1/sdk/{public_id}.json) instead of the domain or the UUID.
  -- The default gives 64 random bits; the app may set its own value in the same alphabet.
  public_id                 TEXT NOT NULL DEFAULT substr(md5(gen_random_uuid()::text), 1, 16),
  domain                    TEXT NOT NULL,
  access_token_enc          BYTEA NOT NULL,
  access_token_expires_at   TIMESTAMPTZ,           -- NULL: a non-expiring offline token
  refresh_token_enc         BYTEA,                 -- only for expiring offline tokens
  refresh_token_expires_at  TIMESTAMPTZ,
  scope                     TEXT,
  plan                      TEXT NOT NULL DEFAULT 'starter',
  installed_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
  settings                  JSONB NOT NULL DEFAULT '{}',
  uninstalled_at            TIMESTAMPTZ,
  CONSTRAINT shops_domain_key UNIQUE (domain),
  CONSTRAINT shops_public_id_key UNIQUE (public_id),
  CONSTRAINT shops_domain_lowercase CHECK (domain = lower(domain)),
  CONSTRAINT shops_public_id_format CHECK (public_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  CONSTRAINT shops_settings_object CHECK (jsonb_typeof(settings) = 'object'),
  CONSTRAINT shops_refresh_token_pair CHECK (refresh_token_enc IS NOT NULL OR refresh_token_expires_at IS NULL)
);

CREATE INDEX idx_shops_installed ON shops (installed_at) WHERE uninstalled_at IS NULL;

-- ---------------------------------------------------------------------------------------------------------------
-- Caches of Shopify data (bulk sync + webhooks).
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE products_cache (
  id          UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id     UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  product_id  TEXT NOT NULL,
  handle      TEXT NOT NULL,
  data        JSONB NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, id),
  CONSTRAINT products_cache_product_key UNIQUE (shop_id, product_id)
);

CREATE INDEX idx_products_cache_shop_updated ON products_cache (shop_id, updated_at);

CREATE TABLE orders_cache (
  id           UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id      UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  order_id     TEXT NOT NULL,
  total        DECIMAL(14, 2) NOT NULL,
  subtotal     DECIMAL(14, 2),
  line_count   INT NOT NULL DEFAULT 0,
  created_at   TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  attribution  JSONB,
  PRIMARY KEY (shop_id, id),
  CONSTRAINT orders_cache_order_key UNIQUE (shop_id, order_id)
);

CREATE INDEX idx_orders_cache_shop_created ON orders_cache (shop_id, created_at);

-- ---------------------------------------------------------------------------------------------------------------
-- events: range-partitioned by month on ts. Monthly partitions events_YYYY_MM are created ahead of time and dropped
-- for retention by the partition maintenance job (src/db/partitions.h); the DEFAULT partition catches any timestamp
-- without a partition so that no event is ever rejected for its time, and the job moves such rows out.
-- No foreign key to shops: COPY throughput, and events of a deleted shop are removed by dropping/deleting them.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE events (
  id             BIGSERIAL,
  shop_id        UUID NOT NULL,
  event_id       UUID NOT NULL,                    -- client-generated; identifies redeliveries of the same event
  anon_id        TEXT NOT NULL,
  session_id     TEXT NOT NULL,
  event_type     TEXT NOT NULL,
  ts             TIMESTAMPTZ NOT NULL DEFAULT now(),
  props          JSONB NOT NULL DEFAULT '{}',
  product_id     TEXT,
  experiment_id  TEXT,
  variant        TEXT,
  PRIMARY KEY (shop_id, ts, id)
) PARTITION BY RANGE (ts);

-- Duplicate deliveries of one event (same client id, same timestamp) are refused; a unique index on a partitioned
-- table must contain the partition key, so the same id with a different ts is caught by the aggregator instead.
CREATE UNIQUE INDEX events_event_id_key ON events (shop_id, event_id, ts);
CREATE INDEX idx_events_shop_type_ts ON events (shop_id, event_type, ts);
CREATE INDEX idx_events_experiment ON events (shop_id, experiment_id, variant, ts) WHERE experiment_id IS NOT NULL;

CREATE TABLE events_default PARTITION OF events DEFAULT;

-- ---------------------------------------------------------------------------------------------------------------
-- Recommendations and patches.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE recommendations (
  id               UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id          UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  entity_type      TEXT NOT NULL,
  entity_id        TEXT NOT NULL,
  category         TEXT NOT NULL,
  rule_id          TEXT NOT NULL,
  severity         TEXT NOT NULL,
  rationale        TEXT NOT NULL,
  expected_impact  JSONB,
  patch_payload    JSONB,
  status           TEXT NOT NULL DEFAULT 'pending',
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, id)
);

CREATE INDEX idx_recommendations_shop_status ON recommendations (shop_id, status);
CREATE INDEX idx_recommendations_shop_entity ON recommendations (shop_id, entity_type, entity_id);
CREATE INDEX idx_recommendations_shop_created ON recommendations (shop_id, created_at DESC);

CREATE TABLE patches (
  id                 UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id            UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  recommendation_id  UUID,
  applied_to         TEXT NOT NULL,
  payload            JSONB NOT NULL,
  rollback_payload   JSONB NOT NULL,
  applied_by         TEXT NOT NULL DEFAULT 'merchant',
  applied_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  version            INT NOT NULL DEFAULT 1,
  PRIMARY KEY (shop_id, id),
  -- Composite so that it stays shop-local under Citus; SET NULL only the recommendation, never shop_id.
  CONSTRAINT patches_recommendation_fkey FOREIGN KEY (shop_id, recommendation_id)
    REFERENCES recommendations (shop_id, id) ON DELETE SET NULL (recommendation_id)
);

CREATE INDEX idx_patches_applied_to ON patches (shop_id, applied_to, applied_at DESC);
CREATE INDEX idx_patches_recommendation ON patches (shop_id, recommendation_id) WHERE recommendation_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------------------------
-- Experiments, assignments and the sufficient statistics of their results.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE experiments (
  id              UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id         UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  target          TEXT NOT NULL,
  allocation      JSONB NOT NULL,
  variants        JSONB NOT NULL,
  started_at      TIMESTAMPTZ NOT NULL,
  ended_at        TIMESTAMPTZ,
  primary_metric  TEXT NOT NULL DEFAULT 'purchase_rate',
  guardrails      JSONB NOT NULL DEFAULT '{}',
  status          TEXT NOT NULL DEFAULT 'draft',
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, id)
);

CREATE INDEX idx_experiments_shop_status ON experiments (shop_id, status);
CREATE INDEX idx_experiments_shop_started ON experiments (shop_id, started_at DESC);

CREATE TABLE assignments (
  id             UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id        UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  experiment_id  UUID NOT NULL,
  anon_id        TEXT NOT NULL,
  session_id     TEXT NOT NULL,
  variant        TEXT NOT NULL,
  assigned_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, id),
  CONSTRAINT assignments_visitor_key UNIQUE (shop_id, experiment_id, anon_id),
  CONSTRAINT assignments_experiment_fkey FOREIGN KEY (shop_id, experiment_id)
    REFERENCES experiments (shop_id, id) ON DELETE CASCADE
);

CREATE INDEX idx_assignments_experiment ON assignments (shop_id, experiment_id, variant);

-- One row per experiment × variant × segment × metric holding the metric's per-visitor sufficient statistics
-- (shared/spec/statistics.md): they merge exactly by addition, so the aggregator adds deltas with
-- INSERT ... ON CONFLICT DO UPDATE SET n = n + EXCLUDED.n, ... . NUMERIC keeps the sums exact and order-independent.
CREATE TABLE results_aggregates (
  shop_id                  UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  experiment_id            UUID NOT NULL,
  variant                  TEXT NOT NULL,
  segment                  TEXT NOT NULL DEFAULT '',   -- '' is the whole population; e.g. 'device:mobile'
  metric                   TEXT NOT NULL,              -- view_rate, add_to_cart_rate, checkout_rate, purchase_rate,
                                                       -- revenue_per_visitor, average_order_value, ...
  n                        BIGINT NOT NULL DEFAULT 0,  -- visitors (units) exposed
  sum                      NUMERIC NOT NULL DEFAULT 0, -- Σx (numerator for ratio metrics)
  sum_squares              NUMERIC NOT NULL DEFAULT 0, -- Σx²
  denominator_sum          NUMERIC NOT NULL DEFAULT 0, -- Σy   (ratio metrics)
  denominator_sum_squares  NUMERIC NOT NULL DEFAULT 0, -- Σy²  (ratio metrics)
  sum_products             NUMERIC NOT NULL DEFAULT 0, -- Σxy  (ratio metrics)
  pre_sum                  NUMERIC NOT NULL DEFAULT 0, -- Σx_pre   (CUPED covariate)
  pre_sum_squares          NUMERIC NOT NULL DEFAULT 0, -- Σx_pre²  (CUPED covariate)
  pre_sum_products         NUMERIC NOT NULL DEFAULT 0, -- Σx·x_pre (CUPED covariate)
  updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, experiment_id, variant, segment, metric),
  CONSTRAINT results_aggregates_experiment_fkey FOREIGN KEY (shop_id, experiment_id)
    REFERENCES experiments (shop_id, id) ON DELETE CASCADE,
  CONSTRAINT results_aggregates_metric_name CHECK (metric ~ '^[a-z][a-z0-9_]*$'),
  CONSTRAINT results_aggregates_n_nonnegative CHECK (n >= 0)
);

-- ---------------------------------------------------------------------------------------------------------------
-- Foundation tables for background work and Shopify plumbing (used by later issues; part of the base schema).
-- ---------------------------------------------------------------------------------------------------------------

-- Job queue: workers claim with
--   SELECT ... FROM jobs WHERE status = 'queued' AND run_at <= now() ORDER BY run_at LIMIT k FOR UPDATE SKIP LOCKED
-- and take back jobs whose worker died (status 'running' with locked_until in the past).
CREATE TABLE jobs (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  shop_id       UUID REFERENCES shops (id) ON DELETE CASCADE,   -- NULL for jobs about no single shop
  kind          TEXT NOT NULL,
  payload       JSONB NOT NULL DEFAULT '{}',
  status        TEXT NOT NULL DEFAULT 'queued',
  run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  attempts      INT NOT NULL DEFAULT 0,
  max_attempts  INT NOT NULL DEFAULT 10,
  locked_by     TEXT,
  locked_until  TIMESTAMPTZ,
  last_error    TEXT,
  -- Optional: at most one queued or running job per (kind, dedupe_key), e.g. one sync per shop.
  dedupe_key    TEXT,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT jobs_status_known CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  CONSTRAINT jobs_attempts_nonnegative CHECK (attempts >= 0)
);

CREATE INDEX idx_jobs_claim ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX idx_jobs_lease_expiry ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX idx_jobs_shop ON jobs (shop_id) WHERE shop_id IS NOT NULL;
CREATE UNIQUE INDEX idx_jobs_dedupe ON jobs (kind, dedupe_key)
  WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

-- Every webhook Shopify delivered, recorded before it is acknowledged: X-Shopify-Webhook-Id makes redeliveries
-- detectable; processing happens after the 200 (processed_at). Keyed by the shop's domain, not shops.id, because
-- deliveries (compliance topics, uninstall) can concern a shop that has no row (any more).
CREATE TABLE webhook_deliveries (
  webhook_id    TEXT PRIMARY KEY,          -- X-Shopify-Webhook-Id
  shop_domain   TEXT NOT NULL,             -- X-Shopify-Shop-Domain
  event_id      TEXT,                      -- X-Shopify-Event-Id: the same event across subscriptions
  topic         TEXT NOT NULL,             -- X-Shopify-Topic
  triggered_at  TIMESTAMPTZ,               -- X-Shopify-Triggered-At
  payload       JSONB NOT NULL,
  received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  processed_at  TIMESTAMPTZ
);

CREATE INDEX idx_webhook_deliveries_unprocessed ON webhook_deliveries (received_at) WHERE processed_at IS NULL;
CREATE INDEX idx_webhook_deliveries_shop ON webhook_deliveries (shop_domain, received_at);
CREATE INDEX idx_webhook_deliveries_received ON webhook_deliveries (received_at);

-- OAuth authorization-code flow: the state nonce sent to Shopify, checked once on the callback.
CREATE TABLE oauth_states (
  nonce       TEXT PRIMARY KEY,
  shop        TEXT NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX idx_oauth_states_expires ON oauth_states (expires_at);
