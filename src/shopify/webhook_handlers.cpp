// Catalog, order and bulk-operation webhook handlers. See webhook_handlers.h.
#include "shopify/webhook_handlers.h"

#include "core/log.h"

namespace pagelift::shopify {
namespace json = boost::json;

namespace {

const json::object* PayloadObject(const WebhookDelivery& d) { return d.payload.if_object(); }

// A delivery for a shop without an installed row changes nothing (uninstalled shops' caches are erased).
bool ForInstalledShop(const WebhookDelivery& d) { return d.shop.has_value() && d.shop->installed; }

Error Malformed(const WebhookDelivery& d, const Error& why) {
  // Retrying cannot fix a malformed payload: it is logged and the delivery counts as processed.
  log::Warn("webhook payload not usable", {{"topic", d.topic}, {"webhook_id", d.webhook_id}, {"error", why.message}});
  return why;
}

}  // namespace

Result<void> HandleProductUpsert(db::Database& database, const CatalogRepository& catalog, const WebhookDelivery& d) {
  if (!ForInstalledShop(d)) return {};
  const auto* payload = PayloadObject(d);
  if (payload == nullptr) return {};
  auto record = ProductFromRest(*payload);
  if (!record) {
    Malformed(d, record.error());
    return {};
  }
  std::vector<ProductRecord> records;
  records.push_back(std::move(record).value());
  database.Run([&](pqxx::work& tx) { catalog.Upsert(tx, d.shop->id, std::move(records), WriteMode::kMerge); });
  return {};
}

Result<void> HandleProductDelete(db::Database& database, const CatalogRepository& catalog, const WebhookDelivery& d) {
  if (!ForInstalledShop(d)) return {};
  const auto* payload = PayloadObject(d);
  const auto gid = payload ? ProductGidFromRest(*payload) : std::nullopt;
  if (!gid) {
    Malformed(d, MakeError(ErrorCode::kBadRequest, "products/delete without id"));
    return {};
  }
  database.Run([&](pqxx::work& tx) { catalog.Delete(tx, d.shop->id, *gid); });
  return {};
}

Result<void> HandleOrderUpsert(db::Database& database, const OrdersRepository& orders, const WebhookDelivery& d) {
  if (!ForInstalledShop(d)) return {};
  const auto* payload = PayloadObject(d);
  if (payload == nullptr) return {};
  auto record = OrderFromRest(*payload);
  if (!record) {
    Malformed(d, record.error());
    return {};
  }
  std::vector<OrderRecord> records;
  records.push_back(std::move(record).value());
  database.Run([&](pqxx::work& tx) { orders.Upsert(tx, d.shop->id, std::move(records)); });
  return {};
}

Result<void> HandleBulkOperationFinish(BulkOperationWaiter& waiter, const WebhookDelivery& d) {
  const auto* payload = PayloadObject(d);
  const auto* id = payload ? payload->if_contains("admin_graphql_api_id") : nullptr;
  if (id && id->is_string()) waiter.Notify(id->get_string());
  return {};
}

void RegisterSyncWebhookHandlers(WebhookDispatcher& dispatcher, db::Database& database, BulkSync& sync) {
  const CatalogRepository& catalog = sync.catalog();
  const OrdersRepository& orders = sync.orders();
  auto product_upsert = [&database, &catalog](const WebhookDelivery& d) {
    return HandleProductUpsert(database, catalog, d);
  };
  auto order_upsert = [&database, &orders](const WebhookDelivery& d) { return HandleOrderUpsert(database, orders, d); };
  dispatcher.RegisterWebhookHandler("products/create", product_upsert);
  dispatcher.RegisterWebhookHandler("products/update", product_upsert);
  dispatcher.RegisterWebhookHandler("products/delete", [&database, &catalog](const WebhookDelivery& d) {
    return HandleProductDelete(database, catalog, d);
  });
  dispatcher.RegisterWebhookHandler("orders/create", order_upsert);
  dispatcher.RegisterWebhookHandler("orders/paid", order_upsert);
  BulkOperationWaiter& waiter = sync.waiter();
  dispatcher.RegisterWebhookHandler("bulk_operations/finish", [&waiter](const WebhookDelivery& d) {
    return HandleBulkOperationFinish(waiter, d);
  });
}

}  // namespace pagelift::shopify
