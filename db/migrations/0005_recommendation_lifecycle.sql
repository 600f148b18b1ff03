-- Recommendations (issue 6, the audit half): the lifecycle of a recommendation across re-audits, and what the audit
-- last saw of each product so changed products are found without the Shopify side knowing about the audit.
-- docs/schema.md, "0005". Runs inside one transaction (the migration runner opens it); no BEGIN/COMMIT here.

-- One live row per (shop, entity, rule): a re-audit updates it in place (same id; a fixed problem becomes `resolved`,
-- a recurring one is reopened as `pending`). `fingerprint` is the hash of the product data (or the shop-wide evidence)
-- the rule saw: a dismissed recommendation stays dismissed while the fingerprint is unchanged and is reopened when the
-- product changes. `content_hash` tells whether rationale/evidence/patch changed (settings such as the brand voice can
-- change them without a product change).
ALTER TABLE recommendations
  ADD COLUMN fingerprint   TEXT NOT NULL DEFAULT '',
  ADD COLUMN content_hash  TEXT NOT NULL DEFAULT '',
  ADD COLUMN evidence      JSONB NOT NULL DEFAULT '{}',
  ADD COLUMN resolved_at   TIMESTAMPTZ,
  ADD COLUMN dismissed_at  TIMESTAMPTZ,
  ADD CONSTRAINT recommendations_entity_rule_key UNIQUE (shop_id, entity_type, entity_id, rule_id),
  ADD CONSTRAINT recommendations_severity_check CHECK (severity IN ('low', 'medium', 'high'));

-- The open list sorted by impact (the API's default order) for one shop.
CREATE INDEX idx_recommendations_shop_open ON recommendations (shop_id, status, severity);

-- What the audit last saw of each product: products_cache.updated_at at audit time. A product whose cache row is newer,
-- new, or gone (row deleted) needs a re-audit of its shop; the watcher finds such shops with one anti-join.
CREATE TABLE product_audits (
  shop_id            UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  product_id         TEXT NOT NULL,
  source_updated_at  TIMESTAMPTZ NOT NULL,
  fingerprint        TEXT NOT NULL,
  audited_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, product_id)
);

-- When each shop was last audited and what it found (the health score's "as of").
CREATE TABLE shop_audits (
  shop_id        UUID PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
  audited_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  products       INT NOT NULL DEFAULT 0,
  findings       INT NOT NULL DEFAULT 0,
  duration_ms    INT NOT NULL DEFAULT 0
);
