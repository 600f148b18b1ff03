-- Deletions in the caches of a shop's catalog and orders (src/shopify/catalog_repository.h, orders_repository.h).

-- A product or order pagelift removed on purpose: products/delete, or customers/redact for the orders of a redacted
-- customer. Shopify never reuses an id, so any later write of a tombstoned id is stale (a products/update delivered
-- after the delete, a bulk result started before it, an orders/paid retried after a redact) and is skipped.
-- Tombstones are purged after 30 days, long after Shopify's retries (4 h) and bulk result URLs (7 days) expire.
CREATE TABLE cache_tombstones (
  shop_id     UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  object_id   TEXT NOT NULL,                 -- gid://shopify/Product/<n>, gid://shopify/Order/<n>
  deleted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, kind, object_id),
  CONSTRAINT cache_tombstones_kind_known CHECK (kind IN ('product', 'order'))
);

CREATE INDEX idx_cache_tombstones_deleted ON cache_tombstones (deleted_at);

-- The sync run (sync_runs.id) whose bulk result last contained the product. A completed full sync removes the rows
-- it did not see and that were last written before the bulk operation started: products deleted in Shopify whose
-- products/delete webhook never arrived.
ALTER TABLE products_cache ADD COLUMN synced_run BIGINT;
