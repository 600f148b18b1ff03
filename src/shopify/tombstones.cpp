// cache_tombstones SQL. See tombstones.h.
#include "shopify/tombstones.h"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace pagelift::shopify {

namespace {

std::string_view KindName(TombstoneKind kind) { return kind == TombstoneKind::kProduct ? "product" : "order"; }

}  // namespace

void AddTombstones(pqxx::work& tx, std::string_view shop_id, TombstoneKind kind, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  boost::json::array list;
  for (const auto& id : ids) list.emplace_back(id);
  tx.exec_params(
      "INSERT INTO cache_tombstones (shop_id, kind, object_id) "
      "SELECT $1::uuid, $2, id FROM jsonb_array_elements_text($3::jsonb) AS id "
      "ON CONFLICT (shop_id, kind, object_id) DO NOTHING",
      std::string(shop_id), std::string(KindName(kind)), boost::json::serialize(list));
}

long long PurgeTombstones(pqxx::work& tx, std::chrono::hours age) {
  return static_cast<long long>(
      tx.exec_params("DELETE FROM cache_tombstones WHERE deleted_at < now() - make_interval(hours => $1)",
                     static_cast<int>(age.count()))
          .affected_rows());
}

std::string TombstoneAbsentSql(TombstoneKind kind, std::string_view shop_expression, std::string_view id_expression) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM cache_tombstones t WHERE t.shop_id = {} AND t.kind = '{}' AND t.object_id = {})",
      shop_expression, KindName(kind), id_expression);
}

}  // namespace pagelift::shopify
