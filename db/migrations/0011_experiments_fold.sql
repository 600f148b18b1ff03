-- Experiments (issue #5), third part: what the aggregation worker needs to fold new data into a visitor without
-- re-reading their history, and an ingestion time on orders for its order watermark (src/experiments/aggregation.h).
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

-- The fold state of each visitor beside their values: {"assigned_us", "orders": {key: cents}, "segment_source":
-- {"ts_us", "event_id", "type", "session_id", "exposure"}, "visitor_inferred"} (FoldStateToJson). NULL on rows
-- written before this migration: the worker recomputes such a visitor from their history the next time they change.
ALTER TABLE experiment_visitors ADD COLUMN fold_state JSONB;

-- orders_cache.updated_at is Shopify's time: a webhook that arrives late carries an old updated_at, and a watermark
-- on it would miss the order. ingested_at is when pagelift wrote the row (the default on insert, a trigger on every
-- update, so that no writer can forget it), so "orders since the watermark" means "written since".
ALTER TABLE orders_cache ADD COLUMN ingested_at TIMESTAMPTZ NOT NULL DEFAULT now();

CREATE FUNCTION pagelift_orders_cache_ingested() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.ingested_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER orders_cache_ingested
  BEFORE UPDATE ON orders_cache
  FOR EACH ROW EXECUTE FUNCTION pagelift_orders_cache_ingested();
CREATE INDEX idx_orders_cache_shop_ingested ON orders_cache (shop_id, ingested_at) WHERE attribution IS NOT NULL;
DROP INDEX IF EXISTS idx_orders_cache_shop_updated;
