-- Install/authentication state and the compliance webhooks' output (issue #3, part 1).

-- Set when Shopify refused the shop's refresh token (invalid_grant) or the offline token no longer works: the shop
-- must go through OAuth or token exchange again before pagelift can call the Admin API. Cleared by a new token.
ALTER TABLE shops ADD COLUMN reauth_required_at TIMESTAMPTZ;

-- What customers/data_request produced: everything pagelift holds about one customer of one shop, kept for the
-- merchant to hand over (Shopify forwards the request; the app answers the merchant, not Shopify).
CREATE TABLE compliance_reports (
  id            UUID NOT NULL DEFAULT gen_random_uuid(),
  shop_id       UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
  webhook_id    TEXT NOT NULL,               -- the delivery that asked for it (one report per delivery)
  request_id    TEXT,                        -- data_request.id from the payload
  customer_id   TEXT,
  report        JSONB NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, id),
  CONSTRAINT compliance_reports_webhook_key UNIQUE (shop_id, webhook_id),
  CONSTRAINT compliance_reports_report_object CHECK (jsonb_typeof(report) = 'object')
);

CREATE INDEX idx_compliance_reports_customer ON compliance_reports (shop_id, customer_id);
