-- Experiments (issue #5), second part: indexes for the shop-wide aggregation run (src/experiments/aggregation.h).
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

-- A run scans the shop's new events once and finds the experiments each of their visitors is in: assignments by
-- visitor across experiments (the unique key leads with experiment_id, which this lookup does not know).
CREATE INDEX idx_assignments_shop_anon ON assignments (shop_id, anon_id);

-- Orders created or updated since the smallest watermark of the run (refunds and edits update updated_at).
CREATE INDEX idx_orders_cache_shop_updated ON orders_cache (shop_id, updated_at) WHERE attribution IS NOT NULL;

-- An attributed order found by its visitor. The orders webhooks and the bulk sync store the visitor as
-- attribution.visitor_id (shopify/attribution.h); 0004's index covered only the older spellings, so the aggregation
-- missed webhook orders. The expression must stay identical to kVisitorOf in src/experiments/aggregation.cpp.
DROP INDEX IF EXISTS idx_orders_cache_visitor;
CREATE INDEX idx_orders_cache_visitor_id ON orders_cache
  (shop_id, (coalesce(attribution->>'visitor_id', attribution->>'visitor', attribution->>'_pagelift_vid')))
  WHERE attribution IS NOT NULL;
