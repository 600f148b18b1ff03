// products_cache SQL and the mapping of Shopify product payloads. See catalog_repository.h.
#include "shopify/catalog_repository.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "core/time.h"
#include "shopify/batch_json.h"
#include "shopify/json_path.h"
#include "shopify/tombstones.h"

namespace pagelift::shopify {
namespace json = boost::json;

namespace {

std::string UpsertSql(std::string_view data_expression) {
  // One statement per batch: the rows travel as one JSON array parameter (no string-built SQL, one round trip).
  // $3 is the sync run writing (NULL for webhooks, which keep the row's synced_run).
  return fmt::format(
      "INSERT INTO products_cache (shop_id, product_id, handle, data, updated_at, synced_run) "
      "SELECT $1::uuid, r.product_id, r.handle, r.data, r.updated_at, $3::bigint "
      "FROM jsonb_to_recordset($2::jsonb) AS r(product_id text, handle text, data jsonb, updated_at timestamptz) "
      "WHERE {} "
      "ON CONFLICT (shop_id, product_id) DO UPDATE "
      "SET handle = excluded.handle, data = {}, updated_at = excluded.updated_at, "
      "    synced_run = coalesce(excluded.synced_run, products_cache.synced_run) "
      "WHERE excluded.updated_at >= products_cache.updated_at",
      TombstoneAbsentSql(TombstoneKind::kProduct, "$1::uuid", "r.product_id"), data_expression);
}

std::optional<std::string> StringField(const json::object& o, std::string_view key) { return StringAt(o, {key}); }

// REST ids are numbers (or numeric strings); GraphQL wants gid://shopify/<Type>/<id>.
std::optional<std::string> Gid(const json::object& o, std::string_view type) {
  if (auto gid = StringField(o, "admin_graphql_api_id")) return gid;
  const auto* id = o.if_contains("id");
  if (id == nullptr) return std::nullopt;
  if (id->is_int64()) return fmt::format("gid://shopify/{}/{}", type, id->get_int64());
  if (id->is_uint64()) return fmt::format("gid://shopify/{}/{}", type, id->get_uint64());
  if (id->is_string() && !id->get_string().empty()) return fmt::format("gid://shopify/{}/{}", type, id->get_string().c_str());
  return std::nullopt;
}

void CopyAs(const json::object& from, std::string_view from_key, json::object& to, std::string_view to_key) {
  if (const auto* v = from.if_contains(from_key)) to[to_key] = *v;
}

json::value Upper(const json::value& v) {
  if (!v.is_string()) return v;
  std::string s(v.get_string());
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return json::value(s);
}

}  // namespace

void FlattenConnections(json::object& object) {
  for (auto& [key, value] : object) {
    if (value.is_object()) {
      auto& inner = value.as_object();
      if (inner.size() <= 2 && inner.contains("nodes") && inner.at("nodes").is_array()) {
        json::array nodes = std::move(inner.at("nodes").as_array());
        value = std::move(nodes);
      } else if (inner.size() <= 2 && inner.contains("edges") && inner.at("edges").is_array()) {
        json::array nodes;
        for (auto& edge : inner.at("edges").as_array()) {
          if (edge.is_object() && edge.as_object().contains("node")) nodes.push_back(std::move(edge.as_object().at("node")));
        }
        value = std::move(nodes);
      } else {
        FlattenConnections(inner);
        continue;
      }
    }
    if (value.is_array()) {
      for (auto& item : value.as_array()) {
        if (item.is_object()) FlattenConnections(item.as_object());
      }
    }
  }
}

Result<ProductRecord> ProductFromGraphql(json::object node) {
  FlattenConnections(node);
  auto id = StringField(node, "id");
  auto handle = StringField(node, "handle");
  auto updated_at = StringField(node, "updatedAt");
  if (!id || !handle || !updated_at || !ParseRfc3339(*updated_at)) {
    return MakeError(ErrorCode::kBadRequest, "product without id, handle or a valid updatedAt",
                     {{"id", id ? json::value(*id) : json::value(nullptr)}});
  }
  return ProductRecord{std::move(*id), std::move(*handle), std::move(node), std::move(*updated_at)};
}

std::optional<std::string> ProductGidFromRest(const json::object& payload) { return Gid(payload, "Product"); }

Result<ProductRecord> ProductFromRest(const json::object& p) {
  auto id = Gid(p, "Product");
  auto handle = StringField(p, "handle");
  auto updated_at = StringField(p, "updated_at");
  if (!id || !handle || !updated_at || !ParseRfc3339(*updated_at)) {
    return MakeError(ErrorCode::kBadRequest, "product payload without id, handle or a valid updated_at");
  }
  json::object d;
  d["id"] = *id;
  CopyAs(p, "handle", d, "handle");
  CopyAs(p, "title", d, "title");
  if (const auto* status = p.if_contains("status")) d["status"] = Upper(*status);
  CopyAs(p, "vendor", d, "vendor");
  CopyAs(p, "product_type", d, "productType");
  CopyAs(p, "body_html", d, "descriptionHtml");
  CopyAs(p, "template_suffix", d, "templateSuffix");
  CopyAs(p, "created_at", d, "createdAt");
  CopyAs(p, "updated_at", d, "updatedAt");
  CopyAs(p, "published_at", d, "publishedAt");
  if (const auto tags = StringField(p, "tags")) {
    // REST joins tags with ", "; GraphQL returns a list.
    json::array list;
    std::string_view rest = *tags;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view tag = rest.substr(0, comma);
      while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
      while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
      if (!tag.empty()) list.emplace_back(tag);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    d["tags"] = std::move(list);
  }
  if (const auto* options = p.if_contains("options"); options && options->is_array()) {
    json::array out;
    for (const auto& o : options->get_array()) {
      if (!o.is_object()) continue;
      json::object option;
      if (auto gid = Gid(o.get_object(), "ProductOption")) option["id"] = *gid;
      CopyAs(o.get_object(), "name", option, "name");
      CopyAs(o.get_object(), "position", option, "position");
      CopyAs(o.get_object(), "values", option, "values");
      out.push_back(std::move(option));
    }
    d["options"] = std::move(out);
  }
  if (const auto* variants = p.if_contains("variants"); variants && variants->is_array()) {
    json::array out;
    for (const auto& v : variants->get_array()) {
      if (!v.is_object()) continue;
      const auto& vo = v.get_object();
      json::object variant;
      if (auto gid = Gid(vo, "ProductVariant")) variant["id"] = *gid;
      CopyAs(vo, "title", variant, "title");
      CopyAs(vo, "sku", variant, "sku");
      CopyAs(vo, "price", variant, "price");
      CopyAs(vo, "compare_at_price", variant, "compareAtPrice");
      CopyAs(vo, "inventory_quantity", variant, "inventoryQuantity");
      out.push_back(std::move(variant));
    }
    d["variants"] = std::move(out);
  }
  if (const auto* images = p.if_contains("images"); images && images->is_array()) {
    json::array out;
    for (const auto& i : images->get_array()) {
      if (!i.is_object()) continue;
      const auto& io = i.get_object();
      json::object image;
      CopyAs(io, "src", image, "url");
      CopyAs(io, "width", image, "width");
      CopyAs(io, "height", image, "height");
      CopyAs(io, "alt", image, "altText");
      json::object media{{"mediaContentType", "IMAGE"}, {"image", std::move(image)}};
      if (auto gid = Gid(io, "MediaImage")) media["id"] = *gid;
      CopyAs(io, "alt", media, "alt");
      out.push_back(std::move(media));
    }
    d["media"] = std::move(out);
  }
  return ProductRecord{std::move(*id), std::move(*handle), std::move(d), std::move(*updated_at)};
}

CatalogRepository::CatalogRepository(db::Database& database)
    : upsert_replace_(database, "products_cache_upsert_replace", UpsertSql("excluded.data")),
      upsert_merge_(database, "products_cache_upsert_merge", UpsertSql("products_cache.data || excluded.data")),
      delete_(database, "products_cache_delete",
              "DELETE FROM products_cache WHERE shop_id = $1::uuid AND product_id = $2"),
      // Rows a completed full sync did not see, last written before its bulk operation started (a row written later
      // was created or updated after the snapshot, or the snapshot's copy of it was stale and skipped).
      remove_unseen_(database, "products_cache_remove_unseen",
                     "DELETE FROM products_cache WHERE shop_id = $1::uuid AND synced_run IS DISTINCT FROM $2 "
                     "AND updated_at < $3::timestamptz"),
      count_(database, "products_cache_count", "SELECT count(*) FROM products_cache WHERE shop_id = $1::uuid") {}

std::size_t CatalogRepository::Upsert(pqxx::work& tx, std::string_view shop_id, std::vector<ProductRecord> records,
                                      WriteMode mode, std::optional<std::int64_t> synced_run) const {
  if (records.empty()) return 0;
  const auto keep = KeepNewestPerKey(
      records, [](const ProductRecord& r) -> std::string_view { return r.product_id; },
      [](const ProductRecord& r) -> std::string_view { return r.updated_at; });
  BatchJson batch;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!keep[i]) continue;
    auto& r = records[i];
    batch.Add(json::object{{"product_id", std::move(r.product_id)},
                           {"handle", std::move(r.handle)},
                           {"data", std::move(r.data)},
                           {"updated_at", std::move(r.updated_at)}});
  }
  const auto result = tx.exec_prepared(mode == WriteMode::kMerge ? upsert_merge_.name() : upsert_replace_.name(),
                                       std::string(shop_id), batch.Finish(), synced_run);
  return static_cast<std::size_t>(result.affected_rows());
}

bool CatalogRepository::Delete(pqxx::work& tx, std::string_view shop_id, std::string_view product_id) const {
  AddTombstones(tx, shop_id, TombstoneKind::kProduct, {std::string(product_id)});
  return tx.exec_prepared(delete_.name(), std::string(shop_id), std::string(product_id)).affected_rows() > 0;
}

long long CatalogRepository::RemoveUnseen(pqxx::work& tx, std::string_view shop_id, std::int64_t run_id,
                                          std::string_view snapshot_at) const {
  return static_cast<long long>(
      tx.exec_prepared(remove_unseen_.name(), std::string(shop_id), run_id, std::string(snapshot_at)).affected_rows());
}

long long CatalogRepository::Count(pqxx::work& tx, std::string_view shop_id) const {
  return tx.exec_prepared(count_.name(), std::string(shop_id))[0][0].as<long long>();
}

}  // namespace pagelift::shopify
