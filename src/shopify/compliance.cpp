#include "shopify/compliance.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>
#include <vector>

#include "core/log.h"
#include "experiments/aggregation.h"
#include "jobs/queue.h"
#include "shopify/shops_repository.h"
#include "shopify/tombstones.h"

namespace pagelift::shopify {

namespace json = boost::json;

namespace {

// A JSON scalar (Shopify sends ids as numbers) as text; "" for anything else.
std::string ScalarText(const json::value* value) {
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->as_string());
  if (value->is_int64()) return std::to_string(value->as_int64());
  if (value->is_uint64()) return std::to_string(value->as_uint64());
  return {};
}

const json::object* ObjectAt(const json::value& payload, std::string_view key) {
  if (!payload.is_object()) return nullptr;
  const json::value* v = payload.as_object().if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

// Order ids as pagelift may have stored them: the numeric id and its GraphQL global id.
json::array OrderIdForms(const json::value& payload, std::string_view key) {
  json::array ids;
  if (!payload.is_object()) return ids;
  const json::value* list = payload.as_object().if_contains(key);
  if (list == nullptr || !list->is_array()) return ids;
  for (const auto& item : list->as_array()) {
    const std::string id = ScalarText(&item);
    if (id.empty()) continue;
    ids.emplace_back(id);
    if (id.rfind("gid://", 0) != 0) ids.emplace_back("gid://shopify/Order/" + id);
  }
  return ids;
}

struct Customer {
  std::string id;     // numeric text ("" when absent)
  std::string email;  // lower-cased
};

Customer CustomerOf(const json::value& payload) {
  Customer customer;
  if (const json::object* c = ObjectAt(payload, "customer")) {
    customer.id = ScalarText(c->if_contains("id"));
    customer.email = ScalarText(c->if_contains("email"));
    for (auto& ch : customer.email) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return customer;
}

// The predicate selecting the customer's orders_cache rows; parameters: $1 shop id, $2 order ids (JSON array),
// $3 customer id, $4 customer gid, $5 email.
constexpr const char* kCustomerOrders =
    "shop_id = $1::uuid AND ("
    "  order_id IN (SELECT jsonb_array_elements_text($2::jsonb)) "
    "  OR ($3 <> '' AND attribution->>'customer_id' IN ($3, $4)) "
    "  OR ($5 <> '' AND lower(attribution->>'email') = $5))";

// Visitor ids of the customer's orders (read before the orders are deleted), as a JSON array: under every key an
// order's attribution may name its visitor by (`visitor_id` now; `anon_id`, `visitor` and `_pagelift_vid`, which the
// aggregation still accepts, from older orders).
std::string VisitorIds(pqxx::work& tx, const std::string& shop_id, const std::string& order_ids,
                       const Customer& customer) {
  auto rows = tx.exec_params(
      std::string("SELECT COALESCE(jsonb_agg(DISTINCT v), '[]'::jsonb)::text FROM ("
                  "  SELECT attribution FROM orders_cache WHERE ") +
          kCustomerOrders +
          ") o CROSS JOIN LATERAL (VALUES (o.attribution->>'visitor_id'), (o.attribution->>'anon_id'), "
          "(o.attribution->>'visitor'), (o.attribution->>'_pagelift_vid')) AS ids(v) WHERE v IS NOT NULL AND v <> ''",
      shop_id, order_ids, customer.id, "gid://shopify/Customer/" + customer.id, customer.email);
  return rows[0][0].as<std::string>();
}

}  // namespace

Result<void> HandleAppUninstalled(db::Database& database, const WebhookDelivery& delivery) {
  database.Run([&](pqxx::work& tx) {
    auto shop_id = MarkUninstalled(tx, delivery.shop_domain, delivery.triggered_at);
    if (!shop_id) {
      log::Info("app/uninstalled for no current installation; ignored", {{"shop", delivery.shop_domain}});
      return;
    }
    const auto cancelled = jobs::CancelQueuedJobsOfShop(tx, *shop_id);
    log::Info("shop uninstalled", {{"shop", delivery.shop_domain}, {"cancelled_jobs", cancelled}});
  });
  return {};
}

Result<void> HandleCustomersDataRequest(db::Database& database, const WebhookDelivery& delivery) {
  if (!delivery.shop) {
    log::Info("customers/data_request for a shop without data", {{"shop", delivery.shop_domain}});
    return {};
  }
  const std::string& shop_id = delivery.shop->id;
  const Customer customer = CustomerOf(delivery.payload);
  const std::string order_ids = json::serialize(OrderIdForms(delivery.payload, "orders_requested"));
  std::string request_id;
  if (const json::object* request = ObjectAt(delivery.payload, "data_request")) {
    request_id = ScalarText(request->if_contains("id"));
  }
  database.Run([&](pqxx::work& tx) {
    const std::string visitors = VisitorIds(tx, shop_id, order_ids, customer);
    auto orders = tx.exec_params(
        std::string("SELECT COALESCE(jsonb_agg(to_jsonb(o) - 'shop_id' ORDER BY o.created_at), '[]'::jsonb)::text "
                    "FROM orders_cache o WHERE ") +
            kCustomerOrders,
        shop_id, order_ids, customer.id, "gid://shopify/Customer/" + customer.id, customer.email);
    auto events = tx.exec_params(
        "SELECT COALESCE(jsonb_agg(to_jsonb(e) - 'shop_id' ORDER BY e.ts), '[]'::jsonb)::text FROM ("
        "  SELECT * FROM events WHERE shop_id = $1::uuid "
        "  AND anon_id IN (SELECT jsonb_array_elements_text($2::jsonb)) ORDER BY ts LIMIT $3) e",
        shop_id, visitors, kMaxReportEvents);
    auto assignments = tx.exec_params(
        "SELECT COALESCE(jsonb_agg(to_jsonb(a) - 'shop_id' ORDER BY a.assigned_at), '[]'::jsonb)::text "
        "FROM assignments a WHERE shop_id = $1::uuid AND anon_id IN (SELECT jsonb_array_elements_text($2::jsonb))",
        shop_id, visitors);
    json::object report{
        {"shop_domain", delivery.shop_domain},
        {"customer", customer.id.empty() ? json::value(nullptr) : json::value(customer.id)},
        {"data_request_id", request_id},
        {"generated_at", FormatRfc3339Millis(Clock::now())},
        {"orders", json::parse(orders[0][0].as<std::string>())},
        {"visitor_ids", json::parse(visitors)},
        {"events", json::parse(events[0][0].as<std::string>())},
        {"events_limit", kMaxReportEvents},
        {"assignments", json::parse(assignments[0][0].as<std::string>())},
    };
    tx.exec_params(
        "INSERT INTO compliance_reports (shop_id, webhook_id, request_id, customer_id, report) "
        "VALUES ($1::uuid, $2, NULLIF($3, ''), NULLIF($4, ''), $5::jsonb) "
        "ON CONFLICT (shop_id, webhook_id) DO UPDATE SET report = EXCLUDED.report, created_at = now()",
        shop_id, delivery.webhook_id, request_id, customer.id, json::serialize(report));
  });
  log::Info("customer data report stored", {{"shop", delivery.shop_domain}, {"webhook_id", delivery.webhook_id}});
  return {};
}

Result<void> HandleCustomersRedact(db::Database& database, const WebhookDelivery& delivery) {
  if (!delivery.shop) {
    log::Info("customers/redact for a shop without data", {{"shop", delivery.shop_domain}});
    return {};
  }
  const std::string& shop_id = delivery.shop->id;
  const Customer customer = CustomerOf(delivery.payload);
  const json::array order_id_list = OrderIdForms(delivery.payload, "orders_to_redact");
  const std::string order_ids = json::serialize(order_id_list);
  database.Run([&](pqxx::work& tx) {
    const std::string visitors = VisitorIds(tx, shop_id, order_ids, customer);
    const std::string gid = "gid://shopify/Customer/" + customer.id;
    auto orders = tx.exec_params(std::string("DELETE FROM orders_cache WHERE ") + kCustomerOrders + " RETURNING order_id",
                                 shop_id, order_ids, customer.id, gid, customer.email);
    // A retried orders/paid or a later bulk sync must not bring the redacted orders back.
    std::vector<std::string> redacted;
    for (const auto& row : orders) redacted.push_back(row[0].as<std::string>());
    for (const auto& id : order_id_list) {
      if (id.is_string()) redacted.emplace_back(id.get_string());
    }
    AddTombstones(tx, shop_id, TombstoneKind::kOrder, redacted);
    experiments::ForgetVisitors(tx, shop_id, visitors);
    auto events = tx.exec_params(
        "DELETE FROM events WHERE shop_id = $1::uuid AND anon_id IN (SELECT jsonb_array_elements_text($2::jsonb))",
        shop_id, visitors);
    auto assignments = tx.exec_params(
        "DELETE FROM assignments WHERE shop_id = $1::uuid "
        "AND anon_id IN (SELECT jsonb_array_elements_text($2::jsonb))",
        shop_id, visitors);
    if (!customer.id.empty()) {
      tx.exec_params("DELETE FROM compliance_reports WHERE shop_id = $1::uuid AND customer_id = $2", shop_id,
                     customer.id);
    }
    log::Info("customer data redacted", {{"shop", delivery.shop_domain},
                                         {"orders", static_cast<long long>(orders.affected_rows())},
                                         {"events", static_cast<long long>(events.affected_rows())},
                                         {"assignments", static_cast<long long>(assignments.affected_rows())}});
  });
  return {};
}

Result<void> HandleShopRedact(db::Database& database, const WebhookDelivery& delivery) {
  database.Run([&](pqxx::work& tx) {
    auto shop = FindShopByDomain(tx, delivery.shop_domain);
    if (shop && shop->installed()) {
      log::Warn("shop/redact for an installed shop; ignored", {{"shop", delivery.shop_domain}});
      return;
    }
    long long rows_deleted = 0;
    if (shop) {
      // Every table with a shop_id column, found in the catalog so that tables added by later migrations are erased
      // too. Foreign keys between them may dictate an order: a delete that fails is retried after the others.
      auto tables = tx.exec(
          "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE a.attname = 'shop_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
          "AND n.nspname = current_schema() ORDER BY c.relname");
      std::vector<std::string> pending;
      for (const auto& row : tables) pending.push_back(row[0].as<std::string>());
      for (int round = 0; !pending.empty(); ++round) {
        std::vector<std::string> failed;
        for (const auto& table : pending) {
          pqxx::subtransaction step(tx, "redact");
          try {
            rows_deleted += static_cast<long long>(
                step.exec_params("DELETE FROM " + tx.quote_name(table) + " WHERE shop_id = $1::uuid", shop->id)
                    .affected_rows());
            step.commit();
          } catch (const pqxx::sql_error&) {
            step.abort();
            failed.push_back(table);
          }
        }
        if (failed.size() == pending.size() || round > 8) {
          throw std::runtime_error("shop/redact: cannot delete from " + failed.front());
        }
        pending = std::move(failed);
      }
      tx.exec_params("DELETE FROM shops WHERE id = $1::uuid", shop->id);
    }
    tx.exec_params("DELETE FROM webhook_deliveries WHERE shop_domain = $1 AND webhook_id <> $2",
                   delivery.shop_domain, delivery.webhook_id);
    tx.exec_params("DELETE FROM oauth_states WHERE shop = $1", delivery.shop_domain);
    log::Info("shop data erased", {{"shop", delivery.shop_domain}, {"rows", rows_deleted}});
  });
  return {};
}

void RegisterComplianceHandlers(WebhookDispatcher& dispatcher, db::Database& database) {
  auto bind = [&database](Result<void> (*handler)(db::Database&, const WebhookDelivery&)) {
    return [&database, handler](const WebhookDelivery& delivery) { return handler(database, delivery); };
  };
  dispatcher.RegisterWebhookHandler("app/uninstalled", bind(HandleAppUninstalled));
  dispatcher.RegisterWebhookHandler("customers/data_request", bind(HandleCustomersDataRequest));
  dispatcher.RegisterWebhookHandler("customers/redact", bind(HandleCustomersRedact));
  dispatcher.RegisterWebhookHandler("shop/redact", bind(HandleShopRedact));
}

}  // namespace pagelift::shopify
