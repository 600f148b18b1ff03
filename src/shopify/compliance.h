// The webhook topics about the app's relationship with a shop and its customers' data: app/uninstalled and Shopify's
// mandatory privacy topics (customers/data_request, customers/redact, shop/redact). Each is idempotent, so a repeated
// delivery or a retried job has no second effect.
//
// Where customer data lives in pagelift: orders_cache (one row per order; `attribution` may carry customer_id, email
// and the storefront visitor id, anon_id or visitor_id), and events / assignments keyed by that visitor id. Data is
// linked to a customer through the orders Shopify names (orders_requested / orders_to_redact) and through
// attribution's customer_id and email.
#pragma once

#include "db/database.h"
#include "shopify/webhooks.h"

namespace pagelift::shopify {

// app/uninstalled: sets uninstalled_at (unless the delivery predates the current installation), forgets the tokens,
// cancels the shop's queued jobs; the shop's data stays until shop/redact.
Result<void> HandleAppUninstalled(db::Database& database, const WebhookDelivery& delivery);

// customers/data_request: writes a compliance_reports row (one per delivery) with the customer's orders_cache rows,
// the visitor ids tied to them, and those visitors' events (at most kMaxReportEvents) and assignments.
inline constexpr int kMaxReportEvents = 10000;
Result<void> HandleCustomersDataRequest(db::Database& database, const WebhookDelivery& delivery);

// customers/redact: deletes the customer's orders_cache rows (orders_to_redact and rows attributed to the customer),
// the events and assignments of the visitor ids tied to them, and the customer's compliance reports.
Result<void> HandleCustomersRedact(db::Database& database, const WebhookDelivery& delivery);

// shop/redact: erases every row of the shop in every table that has a shop_id column (events included), the shop's
// other webhook deliveries and OAuth states, then the shops row. Ignored while the shop is installed (Shopify does not
// send it after a reinstall; a late delivery must not erase a live shop).
Result<void> HandleShopRedact(db::Database& database, const WebhookDelivery& delivery);

// Registers the four handlers above.
void RegisterComplianceHandlers(WebhookDispatcher& dispatcher, db::Database& database);

}  // namespace pagelift::shopify
