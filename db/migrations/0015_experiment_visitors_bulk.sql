-- Experiments (issue #5), the full recomputation: experiment_visitors without a foreign-key check per row.
-- Runs inside one transaction (the migration runner opens it); do not add BEGIN/COMMIT here.
--
-- A first run or a recomputation writes one row per exposed visitor (1.25 million in issue #5's case). PostgreSQL
-- checks a foreign key with a trigger that runs a query per inserted row; the two of this table cost half of the
-- write (250,000 rows into an empty copy of the table: 12.5 s with them, 6.2 s without; psql, same data).
--
-- What they guaranteed still holds:
-- - No row for a missing experiment: only the aggregation writes this table, and only for experiments whose
--   experiment_aggregation row it holds FOR UPDATE in the same transaction. That row references the experiment
--   (ON DELETE CASCADE), so deleting an experiment waits for a running aggregation to commit, and an aggregation that
--   starts after the delete finds no watermark row to lock.
-- - Rows go with their experiment: the statement trigger below deletes them (after the delete of the watermark row,
--   so after the aggregation holding it committed). A shop's deletion cascades to its experiments, and so here.
ALTER TABLE experiment_visitors DROP CONSTRAINT experiment_visitors_experiment_fkey;
ALTER TABLE experiment_visitors DROP CONSTRAINT experiment_visitors_shop_id_fkey;

CREATE FUNCTION pagelift_experiments_delete_visitors() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM experiment_visitors v USING deleted_experiments d WHERE v.shop_id = d.shop_id AND v.experiment_id = d.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER experiments_delete_visitors
  AFTER DELETE ON experiments
  REFERENCING OLD TABLE AS deleted_experiments
  FOR EACH STATEMENT EXECUTE FUNCTION pagelift_experiments_delete_visitors();
