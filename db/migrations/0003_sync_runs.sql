-- sync_runs: one row per full sync of a shop's products or orders through a bulk operation (src/shopify/bulk_sync.h):
-- its state, the bulk operation it waits for (so that a retried job resumes it instead of starting another), and its
-- progress, which GET /api/sync reports to the merchant.
CREATE TABLE sync_runs (
  id                 BIGINT GENERATED ALWAYS AS IDENTITY,
  shop_id            UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  kind               TEXT NOT NULL,
  state              TEXT NOT NULL DEFAULT 'starting',
  bulk_operation_id  TEXT,
  objects_done       BIGINT NOT NULL DEFAULT 0,
  errors             INT NOT NULL DEFAULT 0,
  last_error         TEXT,
  started_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at        TIMESTAMPTZ,
  PRIMARY KEY (shop_id, id),
  CONSTRAINT sync_runs_kind_known CHECK (kind IN ('products', 'orders')),
  CONSTRAINT sync_runs_state_known CHECK (state IN ('starting', 'waiting', 'downloading', 'done', 'failed')),
  CONSTRAINT sync_runs_counts_nonnegative CHECK (objects_done >= 0 AND errors >= 0)
);

CREATE INDEX idx_sync_runs_shop_kind ON sync_runs (shop_id, kind, started_at DESC);
