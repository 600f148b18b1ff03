// cache_tombstones (db/migrations/0009_sync_deletions.sql): the products and orders pagelift removed from its caches
// on purpose (products/delete, customers/redact). Shopify never reuses an id, so the caches' upserts skip every
// tombstoned id: a late products/update, a bulk result older than the delete or a retried orders/paid cannot bring
// the row back. All SQL on cache_tombstones lives here (the upserts embed TombstoneAbsentSql).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

namespace pagelift::shopify {

enum class TombstoneKind { kProduct, kOrder };

// Records the ids as deleted (idempotent; the first deletion time is kept).
void AddTombstones(pqxx::work& tx, std::string_view shop_id, TombstoneKind kind, const std::vector<std::string>& ids);
// Forgets tombstones older than `age` (every shop). Returns how many.
long long PurgeTombstones(pqxx::work& tx, std::chrono::hours age);

// A SQL predicate, true when no tombstone of `kind` exists for the id in `id_expression` of the shop in
// `shop_expression` (both SQL expressions of the embedding statement, e.g. "$1::uuid", "r.product_id").
std::string TombstoneAbsentSql(TombstoneKind kind, std::string_view shop_expression, std::string_view id_expression);

}  // namespace pagelift::shopify
