// How the simulator's store data looks on the wire: Admin GraphQL objects (Product, ProductVariant, Order …),
// bulk-operation JSONL lines (children as separate lines with `__parentId`), and the REST shapes Shopify uses for
// webhook payloads (snake_case, numeric ids, prices as strings). One function per shape, so the Admin API, the
// bulk export, the state dump and the webhooks always agree.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shopify-sim/catalog.h"

namespace pagelift::shopify_sim {

// "gid://shopify/{type}/{id}".
std::string Gid(std::string_view type, std::int64_t id);
// The numeric id of a gid of `type` ("gid://shopify/Product/12" → 12), or of a bare decimal id; nullopt otherwise.
std::optional<std::int64_t> ParseGid(std::string_view type, std::string_view text);

// Which connection shapes a query asked for: `nodes { … }`, `edges { node { … } }`, or both.
struct ConnectionStyle {
  bool nodes = true;
  bool edges = false;
  // Reads the style from a GraphQL document's text (a query that mentions "edges" gets edges, "nodes" gets nodes).
  static ConnectionStyle FromQuery(std::string_view query);
};

// A connection object {nodes | edges, pageInfo} around `items`.
boost::json::object Connection(const boost::json::array& items, ConnectionStyle style, bool has_next_page,
                               const std::string& end_cursor);

// Product, with its variants, images and media as connections (first 250 of each, like a query asking for them).
// `shop_domain` makes onlineStoreUrl ("https://{shop}/products/{handle}" for an active product); empty = null.
boost::json::object ProductJson(const Product& product, const std::string& currency, ConnectionStyle style,
                                std::string_view shop_domain = {});
boost::json::object VariantJson(const Variant& variant);
boost::json::object ImageJson(const Image& image);       // ProductImage / Image
boost::json::object MediaJson(const Image& image);       // MediaImage
// `shop_domain` makes the customer journey's landingPage an absolute URL, as Shopify reports it.
boost::json::object OrderJson(const Order& order, const std::string& currency, ConnectionStyle style,
                              std::string_view shop_domain = {});
boost::json::object LineItemJson(const LineItem& item, const std::string& currency);

// What a bulk query asked to include for each parent.
struct BulkSelection {
  bool orders = false;  // the root connection: orders (true) or products (false)
  bool variants = false;
  bool images = false;
  bool media = false;
  bool line_items = false;
  bool metafields = false;
  bool app_metafields_only = false;  // metafields(namespace: "$app")
  // Reads the root connection and the nested connections from the bulk query's text; nullopt when it has neither
  // `products` nor `orders` (the simulator's bulk export knows only those two).
  static std::optional<BulkSelection> FromQuery(std::string_view query);
};

// JSONL exactly as Shopify writes a bulk query's result: one JSON object per line, each parent followed by its
// children, every child carrying "__parentId"; nested connections are left out of the parent's line.
struct BulkResult {
  std::string jsonl;
  std::int64_t object_count = 0;       // every line
  std::int64_t root_object_count = 0;  // parents only
};
// Metafield objects ({id namespace key type value}) by owner gid, for the products' `metafields` connection.
using MetafieldIndex = std::map<std::string, std::vector<boost::json::object>, std::less<>>;
BulkResult ProductsJsonl(const std::vector<Product>& products, const std::string& currency, const BulkSelection& selection,
                         std::string_view shop_domain = {}, const MetafieldIndex* metafields = nullptr);
BulkResult OrdersJsonl(const std::vector<Order>& orders, const std::string& currency, const BulkSelection& selection,
                       std::string_view shop_domain = {});

// REST shapes (webhook payloads).
boost::json::object ProductRest(const Product& product);
boost::json::object OrderRest(const Order& order, const std::string& currency);

}  // namespace pagelift::shopify_sim
