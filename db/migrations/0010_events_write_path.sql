-- Event collection (issue #4): the events table keeps only the indexes something reads.
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.
--
-- Every index on events is paid for by every row the collector writes (the hottest write path of the system). No
-- query of pagelift reads events by event_type or by experiment_id: the aggregation reads by visitor
-- (idx_events_shop_anon_ts) and by id (idx_events_id_brin), exposures reach it through assignments, and the admin's
-- "events arriving" check uses the primary key (shop_id, ts, id). Dropping the two seed indexes saves about 15% of
-- PostgreSQL's CPU per collected event (bench/collect). An analytics query that needs them can create them on a
-- replica.
DROP INDEX IF EXISTS idx_events_shop_type_ts;
DROP INDEX IF EXISTS idx_events_experiment;
