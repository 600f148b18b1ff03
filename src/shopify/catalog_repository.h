// products_cache: pagelift's copy of a shop's catalog, written by the bulk sync and the products/* webhooks, read by
// the audit. All SQL on products_cache lives here.
//
// `data` holds the product in the Admin GraphQL shape (the fields of BulkProducts.graphql) with every connection
// flattened to an array: {"id": "gid://shopify/Product/1", "handle", "title", "status", "descriptionHtml", "seo",
// "options", "variants": [...], "media": [...], "metafields": [...], "updatedAt", …}. REST webhook payloads are mapped
// into the same shape (ProductFromRest). `updated_at` is Shopify's updatedAt: a write whose updated_at is older than
// the stored one is ignored, so a late webhook or a stale bulk file never overwrites newer data.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/database.h"
#include "db/statement.h"

namespace pagelift::shopify {

struct ProductRecord {
  std::string product_id;  // gid://shopify/Product/<n>
  std::string handle;
  boost::json::object data;
  std::string updated_at;  // RFC 3339, as Shopify sent it
};

// Replaces {"nodes": [...]} and {"edges": [{"node": …}]} values by plain arrays, recursively.
void FlattenConnections(boost::json::object& object);

// A product node of BulkProducts (reassembled from JSONL) or ProductsPage. kBadRequest when id/handle/updatedAt lack.
Result<ProductRecord> ProductFromGraphql(boost::json::object node);
// A products/create|update webhook payload (REST shape) mapped into the GraphQL shape.
Result<ProductRecord> ProductFromRest(const boost::json::object& payload);
// "gid://shopify/Product/<id>" from a REST payload's admin_graphql_api_id or numeric id.
std::optional<std::string> ProductGidFromRest(const boost::json::object& payload);

enum class WriteMode {
  kReplace,  // the record is the whole product (bulk sync)
  kMerge,    // keys the record lacks keep their stored values (REST webhooks carry no seo or metafields)
};

class CatalogRepository {
 public:
  explicit CatalogRepository(db::Database& database);  // prepares its statements

  // Upserts the records in one statement (the batch is deduplicated by product id, newest kept). Returns how many
  // rows were inserted or updated (stale records are not counted).
  // Tombstoned products (tombstones.h) are skipped. `synced_run`: the full sync writing them (RemoveUnseen).
  std::size_t Upsert(pqxx::work& tx, std::string_view shop_id, std::vector<ProductRecord> records,
                     WriteMode mode = WriteMode::kReplace, std::optional<std::int64_t> synced_run = std::nullopt) const;
  // products/delete: removes the row and leaves a tombstone, so no later write of the product lands. True when a row
  // was removed.
  bool Delete(pqxx::work& tx, std::string_view shop_id, std::string_view product_id) const;
  // After the completed full sync `run_id` whose bulk operation Shopify created at `snapshot_at` (RFC 3339): removes
  // the products the result did not contain (deleted in Shopify; their webhook never came). Returns how many.
  long long RemoveUnseen(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id,
                         std::string_view snapshot_at) const;
  long long Count(pqxx::work& tx, std::string_view shop_id) const;

 private:
  db::Statement upsert_replace_;
  db::Statement upsert_merge_;
  db::Statement delete_;
  db::Statement remove_unseen_;
  db::Statement count_;
};

}  // namespace pagelift::shopify
