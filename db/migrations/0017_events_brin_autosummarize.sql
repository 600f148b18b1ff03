-- Experiments (issue #5), the aggregation's scan of new events: the BRIN index on events.id summarizes each block range
-- as soon as it is full instead of at the next vacuum (src/experiments/aggregation.h, FoldNewData).
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

-- "Events since the watermark" is a bitmap scan of idx_events_id_brin, and a block range that is not summarized yet
-- matches every query: without autosummarize, ranges are summarized only when (auto)vacuum visits events, so each
-- refresh re-read every row inserted since the last vacuum (on an insert-only table, 20% of the table by default) —
-- proportional to history rather than to the new events. With autosummarize, a full range is summarized by the next
-- autovacuum cycle (about a minute). A partitioned index cannot be altered (ALTER INDEX ... SET is refused), so it is
-- built again with the option (partitions created later copy it) under the same name. Autovacuum keeps at most 256
-- pending work items per cluster and drops (and logs) requests beyond: 256 pages per range instead of 128 halves the
-- requests (a collector at 50,000 events/s fills about 3.5 ranges a second, ~210 per one-minute cycle). The scan
-- reads the range holding the watermark in full: 2 MB at most.
CREATE INDEX idx_events_id_brin_autosummarize ON events USING brin (id)
  WITH (pages_per_range = 256, autosummarize = on);
DROP INDEX idx_events_id_brin;
ALTER INDEX idx_events_id_brin_autosummarize RENAME TO idx_events_id_brin;
