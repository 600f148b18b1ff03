// Query cost and the leaky bucket: Shopify's published rules (object 1, connection 2 + first × node, mutation 10,
// restore at restoreRate per second up to maximumAvailable).
#include <gtest/gtest.h>

#include "shopify-sim/cost.h"
#include "shopify/graphql_documents.h"

namespace pagelift::shopify_sim {
namespace {

namespace json = boost::json;

int Cost(std::string_view query, const json::object& variables = {}) {
  auto cost = RequestedQueryCost(query, variables);
  EXPECT_TRUE(cost.ok()) << (cost.ok() ? "" : cost.error().message);
  return cost.ok() ? *cost : -1;
}

TEST(CostTest, ScalarsAreFreeObjectsCostOne) {
  EXPECT_EQ(Cost("query ShopInfo { shop { id name plan { displayName } primaryDomain { url } } }"), 3);
  EXPECT_EQ(Cost("{ shop { id } }"), 1);
}

TEST(CostTest, ConnectionScalesWithFirst) {
  // Shopify's documented example: products(first: 10) with a scalar per node costs 2 + 10 × 1.
  EXPECT_EQ(Cost("query P { products(first: 10) { edges { node { title } } } }"), 12);
  EXPECT_EQ(Cost("query P { products(first: 10) { nodes { title } pageInfo { hasNextPage endCursor } } }"), 12);
  const std::string nested =
      "query ProductsPage($first: Int!, $after: String) { products(first: $first, after: $after) { nodes { id "
      "variants(first: 5) { nodes { id price } } seo { title } } } }";
  // Each product: 1 + (2 + 5 × 1) + 1 (seo) = 9.
  EXPECT_EQ(Cost(nested, {{"first", 10}}), 2 + 10 * 9);
  EXPECT_EQ(Cost(nested, {{"first", 100}}), 2 + 100 * 9);
}

TEST(CostTest, VariableDefaultsAliasesAndFragments) {
  EXPECT_EQ(Cost("query P($n: Int = 20) { products(first: $n) { nodes { id } } }"), 22);
  EXPECT_EQ(Cost("query P { items: products(first: 3) { nodes { ...F } } } fragment F on Product { seo { title } }"),
            2 + 3 * 2);
  EXPECT_EQ(Cost("query P { products(first: 2) { nodes { media(first: 4) { nodes { ... on MediaImage { image { url } } } } } } }"),
            2 + 2 * (1 + 2 + 4 * 2));
}

TEST(CostTest, MutationsCostTen) {
  EXPECT_EQ(Cost("mutation ProductUpdate($product: ProductUpdateInput!) { productUpdate(product: $product) { product { "
                 "id title } userErrors { field message } } }"),
            10);
  // The bulk query inside a string is not costed.
  EXPECT_EQ(Cost(R"(mutation BulkOperationRunQuery($query: String!) { bulkOperationRunQuery(query: $query) {
                 bulkOperation { id status } userErrors { field message } } })"),
            10);
}

TEST(CostTest, OverTheSingleQueryLimit) {
  EXPECT_GT(Cost("query P { products(first: 250) { nodes { variants(first: 100) { nodes { id } } } } }"),
            kMaxSingleQueryCost);
}

// pagelift's ProductsPage: a page of 50 products must fit in one query (Shopify refuses a query over 1000 points),
// while a full page of 250 would not, which is why its inner connections are small.
TEST(CostTest, ProductsPageOfFiftyStaysUnderTheSingleQueryLimit) {
  const auto document = shopify::GraphqlDocument("ProductsPage");
  ASSERT_TRUE(document.has_value());
  const auto fifty = RequestedQueryCost(*document, {{"first", 50}});
  ASSERT_TRUE(fifty.ok()) << fifty.error().message;
  EXPECT_LT(*fifty, kMaxSingleQueryCost);
  const auto all = RequestedQueryCost(*document, {{"first", 250}});
  ASSERT_TRUE(all.ok());
  EXPECT_GT(*all, kMaxSingleQueryCost);
}

TEST(CostTest, MalformedDocuments) {
  EXPECT_FALSE(RequestedQueryCost("query P { products(first: 10) { nodes { id } }", {}).ok());
  EXPECT_FALSE(RequestedQueryCost("query P($first: Int!) { products(first: $first) { nodes { id } } }", {}).ok());
  EXPECT_FALSE(RequestedQueryCost("", {}).ok());
}

TEST(CostBucketTest, TakesRestoresAndCaps) {
  const auto t0 = CostBucket::Clock::time_point{} + std::chrono::hours(1);
  CostBucket bucket(2000, 100, t0);
  EXPECT_EQ(bucket.Available(t0), 2000);
  EXPECT_TRUE(bucket.TryTake(1500, t0));
  EXPECT_FALSE(bucket.TryTake(600, t0));  // 500 left
  EXPECT_EQ(bucket.Available(t0), 500);   // a refused request takes nothing
  EXPECT_DOUBLE_EQ(bucket.Available(t0 + std::chrono::seconds(1)), 600);
  EXPECT_TRUE(bucket.TryTake(600, t0 + std::chrono::seconds(1)));
  EXPECT_DOUBLE_EQ(bucket.Available(t0 + std::chrono::milliseconds(1500)), 50);
  EXPECT_DOUBLE_EQ(bucket.Available(t0 + std::chrono::minutes(5)), 2000);  // capped at the maximum
  bucket.Refund(10, t0 + std::chrono::minutes(5));
  EXPECT_DOUBLE_EQ(bucket.Available(t0 + std::chrono::minutes(5)), 2000);
}

TEST(CostBucketTest, ThrottleStatusShape) {
  const auto t0 = CostBucket::Clock::time_point{} + std::chrono::hours(1);
  CostBucket bucket(2000, 100, t0);
  ASSERT_TRUE(bucket.TryTake(12, t0));
  const auto status = bucket.ThrottleStatus(t0);
  EXPECT_EQ(status.at("maximumAvailable").as_double(), 2000.0);
  EXPECT_EQ(status.at("currentlyAvailable").as_int64(), 1988);
  EXPECT_EQ(status.at("restoreRate").as_double(), 100.0);
  bucket.Set(0, 1, t0);
  EXPECT_EQ(bucket.ThrottleStatus(t0 + std::chrono::seconds(3)).at("currentlyAvailable").as_int64(), 3);
}

}  // namespace
}  // namespace pagelift::shopify_sim
