// orders_cache: the shop's orders as far as experiments need them (revenue, line count, attribution), written by
// the bulk sync and the orders/create|paid webhooks. All SQL on orders_cache lives here. Money stays a decimal
// string from Shopify to PostgreSQL's DECIMAL(14,2) — never a double. A write older (updated_at) than the stored row
// is ignored.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/database.h"
#include "db/statement.h"

namespace pagelift::shopify {

struct OrderRecord {
  std::string order_id;                 // gid://shopify/Order/<n>
  std::string total;                    // decimal string, e.g. "129.90"
  std::optional<std::string> subtotal;
  int line_count = 0;
  std::string created_at;               // RFC 3339
  std::string updated_at;               // RFC 3339
  boost::json::object attribution;      // attribution.h
};

// True for a plain decimal amount ("12", "12.5", "-3.00"): what Shopify sends for money.
bool IsDecimalAmount(std::string_view text);

// An order node of BulkOrders (reassembled: "lineItems" is an array) — attribution from customAttributes and the
// customer journey's first visit.
Result<OrderRecord> OrderFromGraphql(const boost::json::object& node);
// An orders/create|paid webhook payload (REST shape): note_attributes, landing_site, referring_site.
Result<OrderRecord> OrderFromRest(const boost::json::object& payload);

class OrdersRepository {
 public:
  explicit OrdersRepository(db::Database& database);

  // One statement per batch; stale records and tombstoned orders (redacted customers') are skipped. Returns rows inserted or updated.
  std::size_t Upsert(pqxx::work& tx, std::string_view shop_id, std::vector<OrderRecord> records) const;
  long long Count(pqxx::work& tx, std::string_view shop_id) const;

 private:
  db::Statement upsert_;
  db::Statement count_;
};

}  // namespace pagelift::shopify
