-- Experiments (issue #5), the aggregation's incremental refresh: a compact fold state, and the touched visitors'
-- experiments read from an index alone (src/experiments/aggregation.h, FoldNewData).
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.

-- fold_state becomes compact text (FoldStateToText: about 100 bytes a visitor instead of a ~350-byte JSONB object
-- parsed on every write). The JSON of 0011 is not converted: a NULL state means "recompute this visitor from their
-- history the next time they change", as for the rows written before 0011, so dropping it loses nothing.
ALTER TABLE experiment_visitors DROP COLUMN fold_state;
ALTER TABLE experiment_visitors ADD COLUMN fold_state TEXT;

-- A refresh finds the experiments of each visitor with new events: with experiment_id in the index, that is an
-- index-only scan (one index probe per visitor, no heap fetch). Replaces 0007's (shop_id, anon_id) index, which every
-- reader of it now uses this way.
CREATE INDEX idx_assignments_shop_anon_experiment ON assignments (shop_id, anon_id) INCLUDE (experiment_id);
DROP INDEX idx_assignments_shop_anon;
