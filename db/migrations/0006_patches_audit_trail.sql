-- Patches (issue 6): a patch's state (applied → rolled back), one version per (shop, target), and the audit trail of
-- every change pagelift makes to a shop (who: merchant or autopilot; when; what; why). docs/schema.md, "0006".

ALTER TABLE patches
  ADD COLUMN kind TEXT NOT NULL DEFAULT 'product_update',
  ADD COLUMN status TEXT NOT NULL DEFAULT 'applied',
  ADD COLUMN rolled_back_at TIMESTAMPTZ,
  ADD COLUMN rolled_back_by TEXT,
  ADD CONSTRAINT patches_status_check CHECK (status IN ('applied', 'rolled_back')),
  ADD CONSTRAINT patches_applied_by_check CHECK (applied_by IN ('merchant', 'autopilot')),
  -- Two applies racing on one target cannot both take the same version.
  ADD CONSTRAINT patches_target_version_key UNIQUE (shop_id, applied_to, version);

CREATE TABLE audit_trail (
  id                 UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id            UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  at                 TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  actor              TEXT NOT NULL,
  action             TEXT NOT NULL,
  target             TEXT NOT NULL,
  recommendation_id  UUID,
  patch_id           UUID,
  experiment_id      UUID,
  reason             TEXT NOT NULL,
  details            JSONB NOT NULL DEFAULT '{}',
  PRIMARY KEY (shop_id, id),
  CONSTRAINT audit_trail_actor_check CHECK (actor IN ('merchant', 'autopilot', 'system'))
);

-- The trail outlives what it mentions (a deleted recommendation or patch keeps its history), so no foreign keys to them.
CREATE INDEX idx_audit_trail_shop_at ON audit_trail (shop_id, at DESC);
CREATE INDEX idx_audit_trail_shop_target ON audit_trail (shop_id, target, at DESC);
