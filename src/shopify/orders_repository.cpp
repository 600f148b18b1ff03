// orders_cache SQL and the mapping of Shopify order payloads. See orders_repository.h.
#include "shopify/orders_repository.h"

#include <fmt/format.h>

#include <cctype>

#include "core/time.h"
#include "shopify/attribution.h"
#include "shopify/batch_json.h"
#include "shopify/json_path.h"
#include "shopify/tombstones.h"

namespace pagelift::shopify {
namespace json = boost::json;

namespace {

// Money as Shopify sends it: a string; an integer is accepted, a floating-point number is not (its text is lossy).
std::optional<std::string> AmountAt(const json::object& o, std::initializer_list<std::string_view> keys) {
  const auto* v = JsonAt(o, keys);
  if (v == nullptr) return std::nullopt;
  if (v->is_string() && IsDecimalAmount(v->get_string())) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  return std::nullopt;
}

Result<OrderRecord> Finish(OrderRecord record) {
  if (record.order_id.empty() || record.total.empty() || !ParseRfc3339(record.created_at) ||
      !ParseRfc3339(record.updated_at)) {
    return MakeError(ErrorCode::kBadRequest, "order without id, a decimal total, or valid created/updated times",
                     {{"id", record.order_id}});
  }
  return record;
}

}  // namespace

bool IsDecimalAmount(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  if (whole.empty() || whole.size() > 12) return false;
  for (char c : whole) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  if (dot == std::string_view::npos) return true;
  const auto fraction = text.substr(dot + 1);
  if (fraction.empty() || fraction.size() > 6) return false;
  for (char c : fraction) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<OrderRecord> OrderFromGraphql(const json::object& node) {
  OrderRecord r;
  r.order_id = StringAt(node, {"id"}).value_or("");
  r.total = AmountAt(node, {"totalPriceSet", "shopMoney", "amount"}).value_or("");
  r.subtotal = AmountAt(node, {"subtotalPriceSet", "shopMoney", "amount"});
  if (const auto* items = node.if_contains("lineItems"); items && items->is_array()) {
    r.line_count = static_cast<int>(items->get_array().size());
  }
  r.created_at = StringAt(node, {"createdAt"}).value_or("");
  r.updated_at = StringAt(node, {"updatedAt"}).value_or(r.created_at);
  AttributionInput input;
  input.attributes = AttributePairs(node.if_contains("customAttributes"));
  input.landing_site = StringAt(node, {"customerJourneySummary", "firstVisit", "landingPage"});
  input.referring_site = StringAt(node, {"customerJourneySummary", "firstVisit", "referrerUrl"});
  r.attribution = ExtractAttribution(input);
  return Finish(std::move(r));
}

Result<OrderRecord> OrderFromRest(const json::object& p) {
  OrderRecord r;
  if (auto gid = StringAt(p, {"admin_graphql_api_id"})) {
    r.order_id = *gid;
  } else if (const auto* id = p.if_contains("id"); id && id->is_int64()) {
    r.order_id = fmt::format("gid://shopify/Order/{}", id->get_int64());
  }
  r.total = AmountAt(p, {"total_price"}).value_or("");
  r.subtotal = AmountAt(p, {"subtotal_price"});
  if (const auto* items = p.if_contains("line_items"); items && items->is_array()) {
    r.line_count = static_cast<int>(items->get_array().size());
  }
  r.created_at = StringAt(p, {"created_at"}).value_or("");
  r.updated_at = StringAt(p, {"updated_at"}).value_or(r.created_at);
  AttributionInput input;
  input.attributes = AttributePairs(p.if_contains("note_attributes"));
  input.landing_site = StringAt(p, {"landing_site"});
  input.referring_site = StringAt(p, {"referring_site"});
  r.attribution = ExtractAttribution(input);
  return Finish(std::move(r));
}

OrdersRepository::OrdersRepository(db::Database& database)
    : upsert_(
          database, "orders_cache_upsert",
          "INSERT INTO orders_cache (shop_id, order_id, total, subtotal, line_count, created_at, updated_at, attribution) "
      "SELECT $1::uuid, r.order_id, r.total::numeric, r.subtotal::numeric, r.line_count, r.created_at, r.updated_at, "
      "       r.attribution "
      "FROM jsonb_to_recordset($2::jsonb) AS r(order_id text, total text, subtotal text, line_count int, "
      "                                        created_at timestamptz, updated_at timestamptz, attribution jsonb) "
      "WHERE " +
          TombstoneAbsentSql(TombstoneKind::kOrder, "$1::uuid", "r.order_id") +
          " "
      "ON CONFLICT (shop_id, order_id) DO UPDATE "
      "SET total = excluded.total, subtotal = excluded.subtotal, line_count = excluded.line_count, "
      "    updated_at = excluded.updated_at, attribution = excluded.attribution "
          "WHERE excluded.updated_at >= orders_cache.updated_at"),
      count_(database, "orders_cache_count", "SELECT count(*) FROM orders_cache WHERE shop_id = $1::uuid") {}

std::size_t OrdersRepository::Upsert(pqxx::work& tx, std::string_view shop_id, std::vector<OrderRecord> records) const {
  if (records.empty()) return 0;
  const auto keep = KeepNewestPerKey(
      records, [](const OrderRecord& r) -> std::string_view { return r.order_id; },
      [](const OrderRecord& r) -> std::string_view { return r.updated_at; });
  BatchJson batch;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!keep[i]) continue;
    auto& r = records[i];
    batch.Add(json::object{{"order_id", std::move(r.order_id)},
                           {"total", std::move(r.total)},
                           {"subtotal", r.subtotal ? json::value(std::move(*r.subtotal)) : json::value(nullptr)},
                           {"line_count", r.line_count},
                           {"created_at", std::move(r.created_at)},
                           {"updated_at", std::move(r.updated_at)},
                           {"attribution", std::move(r.attribution)}});
  }
  return static_cast<std::size_t>(tx.exec_prepared(upsert_.name(), std::string(shop_id), batch.Finish()).affected_rows());
}

long long OrdersRepository::Count(pqxx::work& tx, std::string_view shop_id) const {
  return tx.exec_prepared(count_.name(), std::string(shop_id))[0][0].as<long long>();
}

}  // namespace pagelift::shopify
