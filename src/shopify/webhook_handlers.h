// Handlers of the catalog and order webhooks (registered with shopify::WebhookDispatcher, webhooks.h):
//   products/create, products/update → products_cache upsert from the REST payload, merged into the stored product
//                                       and ignored when older (updated_at) than what is stored;
//   products/delete                  → the row is removed;
//   orders/create, orders/paid       → orders_cache upsert with attribution (attribution.h), stale-safe;
//   bulk_operations/finish           → wakes the sync waiting for that operation (BulkSync::waiter()).
// Every handler is idempotent: a redelivery writes the same row again or finds it gone.
#pragma once

#include "db/database.h"
#include "shopify/bulk_sync.h"
#include "shopify/webhooks.h"

namespace pagelift::shopify {

// Handlers for single deliveries (exposed for tests).
Result<void> HandleProductUpsert(db::Database& database, const CatalogRepository& catalog, const WebhookDelivery& d);
Result<void> HandleProductDelete(db::Database& database, const CatalogRepository& catalog, const WebhookDelivery& d);
Result<void> HandleOrderUpsert(db::Database& database, const OrdersRepository& orders, const WebhookDelivery& d);
Result<void> HandleBulkOperationFinish(BulkOperationWaiter& waiter, const WebhookDelivery& d);

// Registers the six topics above. `database` and `sync` must outlive the dispatcher.
void RegisterSyncWebhookHandlers(WebhookDispatcher& dispatcher, db::Database& database, BulkSync& sync);

}  // namespace pagelift::shopify
