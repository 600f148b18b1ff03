-- Experiments (issue #5): the definition columns the storefront SDK document and server-side assignment need, the
-- change notification that keeps every server's in-memory SDK documents fresh, and the state of the incremental
-- aggregation worker (src/experiments/aggregation.h).
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

-- ---------------------------------------------------------------------------------------------------------------
-- experiments: assignment parameters and metrics. `allocation` (0001) holds {"weights": [...], "coverage": c};
-- `variants` holds [{"key": ..., "config": {...}}] with the control first; `guardrails` holds
-- {"min_sample", "max_duration_days", "segment_guards": [{"segment", "metric"}], "revenue_cap"}.
-- started_at becomes nullable: a draft has not started (the seed's NOT NULL forced a made-up start time).
-- ---------------------------------------------------------------------------------------------------------------
ALTER TABLE experiments
  ALTER COLUMN started_at DROP NOT NULL,
  ADD COLUMN seed               TEXT,                               -- NULL: the experiment's id
  ADD COLUMN hash_version       INT NOT NULL DEFAULT 2,
  ADD COLUMN bucket_version     INT NOT NULL DEFAULT 1,
  ADD COLUMN secondary_metrics  JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN guardrail_metrics  JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  ADD CONSTRAINT experiments_status_known
    CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'completed', 'archived')),
  ADD CONSTRAINT experiments_bucket_version_positive CHECK (bucket_version >= 1),
  ADD CONSTRAINT experiments_variants_array CHECK (jsonb_typeof(variants) = 'array'),
  ADD CONSTRAINT experiments_allocation_object CHECK (jsonb_typeof(allocation) = 'object');

-- Every change of an experiment tells every server (LISTEN pagelift_experiments) which shop's SDK document to drop.
-- A trigger rather than application code so that no path (API, CLI, jobs, a manual UPDATE) can forget it; NOTIFY is
-- delivered at commit, and identical payloads within one transaction are folded into one.
CREATE FUNCTION pagelift_notify_experiment_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('pagelift_experiments', OLD.shop_id::text);
    RETURN OLD;
  END IF;
  PERFORM pg_notify('pagelift_experiments', NEW.shop_id::text);
  RETURN NEW;
END;
$$;

CREATE TRIGGER experiments_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON experiments
  FOR EACH ROW EXECUTE FUNCTION pagelift_notify_experiment_change();

-- ---------------------------------------------------------------------------------------------------------------
-- assignments: an insertion sequence, so that the aggregation worker finds new assignments (units) without a scan.
-- assigned_at is the exposure time, which a late beacon can put in the past, so it cannot serve as a watermark.
-- ---------------------------------------------------------------------------------------------------------------
ALTER TABLE assignments ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE INDEX idx_assignments_experiment_seq ON assignments (shop_id, experiment_id, seq);

-- ---------------------------------------------------------------------------------------------------------------
-- events: two indexes the aggregation worker needs.
-- - BRIN on id: rows are appended in id order, so "events since the watermark" reads only the last block ranges of
--   each partition; a BRIN index costs next to nothing on the COPY path (unlike a B-tree on the hottest table).
-- - (shop_id, anon_id, ts): a dirty visitor's events are recomputed from scratch, which needs them by visitor.
-- ---------------------------------------------------------------------------------------------------------------
CREATE INDEX idx_events_id_brin ON events USING brin (id);
CREATE INDEX idx_events_shop_anon_ts ON events (shop_id, anon_id, ts);

-- orders_cache: an attributed order found by its visitor (the storefront writes the visitor id into the cart's
-- attributes; the orders webhook stores it as attribution.visitor or attribution._pagelift_vid).
CREATE INDEX idx_orders_cache_visitor ON orders_cache
  (shop_id, (coalesce(attribution->>'visitor', attribution->>'_pagelift_vid')))
  WHERE attribution IS NOT NULL;

-- ---------------------------------------------------------------------------------------------------------------
-- experiment_visitors: each exposed visitor's current per-metric values and segments. The aggregates are the sum of
-- every visitor's contribution; when new data changes a visitor, the worker subtracts the contribution stored here
-- and adds the new one, so incremental results equal a recomputation from scratch.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE experiment_visitors (
  shop_id          UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  experiment_id    UUID NOT NULL,
  anon_id          TEXT NOT NULL,
  variant          TEXT NOT NULL,
  segments         TEXT[] NOT NULL DEFAULT '{}',     -- e.g. {device:mobile,visitor:new,source:search}
  viewed           BOOLEAN NOT NULL DEFAULT false,
  added_to_cart    BOOLEAN NOT NULL DEFAULT false,
  began_checkout   BOOLEAN NOT NULL DEFAULT false,
  purchased        BOOLEAN NOT NULL DEFAULT false,
  revenue_cents    BIGINT NOT NULL DEFAULT 0,        -- capped at guardrails.revenue_cap
  orders           INT NOT NULL DEFAULT 0,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, experiment_id, anon_id),
  CONSTRAINT experiment_visitors_experiment_fkey FOREIGN KEY (shop_id, experiment_id)
    REFERENCES experiments (shop_id, id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------------------------------------------------------
-- experiment_aggregation: one row per experiment, the worker's watermarks. Locked FOR UPDATE SKIP LOCKED by the run
-- that aggregates the experiment, so several workers never fold the same data twice.
-- Ids are allocated before their transaction commits, so a watermark on "the largest id seen" could skip a row that
-- commits later with a smaller id. The worker therefore rescans from `*_safe`, the high mark recorded at least one
-- lateness window ago (by then every transaction that had allocated an id below it has finished); re-reading a
-- visitor is harmless because a visitor's values are recomputed, not incremented.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE experiment_aggregation (
  shop_id             UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  experiment_id       UUID NOT NULL,
  event_id_safe       BIGINT NOT NULL DEFAULT 0,
  event_id_high       BIGINT NOT NULL DEFAULT 0,
  assignment_seq_safe BIGINT NOT NULL DEFAULT 0,
  assignment_seq_high BIGINT NOT NULL DEFAULT 0,
  high_at             TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
  orders_since        TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
  last_run_at         TIMESTAMPTZ,
  PRIMARY KEY (shop_id, experiment_id),
  CONSTRAINT experiment_aggregation_experiment_fkey FOREIGN KEY (shop_id, experiment_id)
    REFERENCES experiments (shop_id, id) ON DELETE CASCADE
);
