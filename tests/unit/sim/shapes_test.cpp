// Wire shapes: bulk JSONL exactly as Shopify writes it (one object per line, parents first, children with
// __parentId, no nested connections in the parent line), GraphQL connections, REST webhook payloads.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>
#include <sstream>

#include "shopify-sim/shapes.h"

namespace pagelift::shopify_sim {
namespace {

namespace json = boost::json;

std::vector<json::object> Lines(const std::string& jsonl) {
  std::vector<json::object> lines;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line).as_object());
  return lines;
}

TEST(ShapesTest, ProductsJsonlHasParentsThenChildrenWithParentId) {
  const auto catalog = GenerateCatalog({5, 40, 0, DefaultEpoch(), "USD"});
  const auto selection = BulkSelection::FromQuery(
      "{ products { edges { node { id title variants { edges { node { id price } } } images { edges { node { id url "
      "} } } } } } }");
  ASSERT_TRUE(selection);
  EXPECT_FALSE(selection->orders);
  EXPECT_TRUE(selection->variants);
  EXPECT_TRUE(selection->images);
  EXPECT_FALSE(selection->media);
  const auto result = ProductsJsonl(catalog.products, "USD", *selection);
  ASSERT_FALSE(result.jsonl.empty());
  EXPECT_EQ(result.jsonl.back(), '\n');
  const auto lines = Lines(result.jsonl);
  EXPECT_EQ(static_cast<std::int64_t>(lines.size()), result.object_count);
  EXPECT_EQ(result.root_object_count, 40);
  std::set<std::string> seen_parents;
  std::string current_parent;
  size_t variants = 0;
  for (const auto& line : lines) {
    const std::string id(line.at("id").as_string());
    if (const auto* parent = line.if_contains("__parentId")) {
      // A child follows its parent.
      EXPECT_EQ(std::string(parent->as_string()), current_parent);
      EXPECT_TRUE(id.starts_with("gid://shopify/ProductVariant/") || id.starts_with("gid://shopify/ProductImage/")) << id;
      if (id.starts_with("gid://shopify/ProductVariant/")) ++variants;
    } else {
      EXPECT_TRUE(id.starts_with("gid://shopify/Product/")) << id;
      EXPECT_FALSE(line.contains("variants"));
      EXPECT_FALSE(line.contains("images"));
      EXPECT_TRUE(seen_parents.insert(id).second);
      current_parent = id;
    }
  }
  size_t expected_variants = 0;
  for (const auto& product : catalog.products) expected_variants += product.variants.size();
  EXPECT_EQ(variants, expected_variants);
}

TEST(ShapesTest, OrdersJsonlWithLineItems) {
  const auto catalog = GenerateCatalog({5, 20, 30, DefaultEpoch(), "USD"});
  const auto selection = BulkSelection::FromQuery("{ orders(query: \"created_at:>2026-01-01\") { edges { node { id "
                                                  "lineItems { edges { node { id quantity } } } } } } }");
  ASSERT_TRUE(selection);
  EXPECT_TRUE(selection->orders);
  EXPECT_TRUE(selection->line_items);
  const auto result = OrdersJsonl(catalog.orders, "USD", *selection);
  const auto lines = Lines(result.jsonl);
  EXPECT_EQ(result.root_object_count, 30);
  const auto& first = lines.front();
  EXPECT_TRUE(std::string(first.at("id").as_string()).starts_with("gid://shopify/Order/"));
  EXPECT_EQ(first.at("totalPriceSet").at("shopMoney").at("currencyCode").as_string(), "USD");
  EXPECT_FALSE(first.contains("lineItems"));
  EXPECT_EQ(lines[1].at("__parentId").as_string(), first.at("id").as_string());
}

TEST(ShapesTest, UnknownBulkRootIsRefused) {
  EXPECT_FALSE(BulkSelection::FromQuery("{ customers { edges { node { id } } } }"));
}

TEST(ShapesTest, ConnectionStyles) {
  json::array items{json::object{{"id", "gid://shopify/Product/1"}}};
  const auto nodes = Connection(items, ConnectionStyle::FromQuery("{ products { nodes { id } } }"), true, "c1");
  EXPECT_TRUE(nodes.contains("nodes"));
  EXPECT_FALSE(nodes.contains("edges"));
  EXPECT_EQ(nodes.at("pageInfo").at("endCursor").as_string(), "c1");
  EXPECT_TRUE(nodes.at("pageInfo").at("hasNextPage").as_bool());
  const auto edges = Connection(items, ConnectionStyle::FromQuery("{ products { edges { node { id } } } }"), false, "");
  EXPECT_EQ(edges.at("edges").as_array()[0].at("node").at("id").as_string(), "gid://shopify/Product/1");
  EXPECT_TRUE(edges.at("pageInfo").at("endCursor").is_null());
}

TEST(ShapesTest, RestShapes) {
  const auto catalog = GenerateCatalog({5, 10, 10, DefaultEpoch(), "USD"});
  const auto product = ProductRest(catalog.products.front());
  EXPECT_TRUE(product.at("id").is_int64());
  EXPECT_TRUE(product.at("variants").as_array()[0].at("price").is_string());
  EXPECT_TRUE(product.contains("body_html"));
  EXPECT_TRUE(product.at("tags").is_string());
  const auto order = OrderRest(catalog.orders.front(), "USD");
  EXPECT_TRUE(order.at("total_price").is_string());
  EXPECT_TRUE(order.at("line_items").is_array());
  EXPECT_TRUE(order.at("note_attributes").is_array());
  EXPECT_TRUE(order.contains("landing_site"));
  EXPECT_EQ(ParseGid("Product", "gid://shopify/Product/42"), 42);
  EXPECT_EQ(ParseGid("Product", "42"), 42);
  EXPECT_FALSE(ParseGid("Product", "gid://shopify/Order/42"));
}

}  // namespace
}  // namespace pagelift::shopify_sim
