// Attribution extraction and the mapping of Shopify payloads (REST webhooks, GraphQL bulk nodes) to cache records.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "shopify/attribution.h"
#include "shopify/catalog_repository.h"
#include "shopify/orders_repository.h"

namespace pagelift::shopify {
namespace {
namespace json = boost::json;

TEST(Attribution, VisitorExperimentsAndUtm) {
  AttributionInput input;
  input.attributes = {{"gift", "yes"}, {"_pagelift_vid", " v-123 "}, {"_pagelift_exp", "hero:b, price:control"}};
  input.landing_site = "/products/mug?utm_source=google&utm_medium=cpc&utm_campaign=winter%20sale&ref=x";
  input.referring_site = "https://www.google.com/";
  const auto a = ExtractAttribution(input);
  EXPECT_EQ(a.at("visitor_id"), "v-123");
  EXPECT_EQ(a.at("experiments"), (json::object{{"hero", "b"}, {"price", "control"}}));
  EXPECT_EQ(a.at("utm"), (json::object{{"source", "google"}, {"medium", "cpc"}, {"campaign", "winter sale"}}));
  EXPECT_EQ(a.at("landing_site").as_string(), input.landing_site.value());
  EXPECT_EQ(a.at("referring_site"), "https://www.google.com/");
}

TEST(Attribution, ExperimentsAsJsonAndAbsoluteLandingUrl) {
  AttributionInput input;
  input.attributes = {{"_pagelift_exp", R"({"hero":"b","bad":1})"}};
  input.landing_site = "https://shop.example/?utm_content=banner";
  const auto a = ExtractAttribution(input);
  EXPECT_EQ(a.at("experiments"), (json::object{{"hero", "b"}}));
  EXPECT_EQ(a.at("utm"), (json::object{{"content", "banner"}}));
  EXPECT_FALSE(a.contains("visitor_id"));
}

TEST(Attribution, NothingToAttributeIsEmpty) {
  EXPECT_TRUE(ExtractAttribution({}).empty());
  AttributionInput junk;
  junk.attributes = {{"_pagelift_vid", "  "}, {"_pagelift_exp", "nonsense"}};
  EXPECT_TRUE(ExtractAttribution(junk).empty());
}

TEST(Attribution, ReadsBothAttributeShapes) {
  const auto rest = json::parse(R"([{"name": "_pagelift_vid", "value": "v1"}, {"bogus": 1}])");
  const auto graphql = json::parse(R"([{"key": "_pagelift_vid", "value": "v2"}])");
  EXPECT_EQ(AttributePairs(&rest).size(), 1u);
  EXPECT_EQ(AttributePairs(&graphql)[0].second, "v2");
}

TEST(Orders, RestPayloadKeepsMoneyAsDecimalStrings) {
  const auto payload = json::parse(R"({
    "id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
    "total_price": "199.65", "subtotal_price": "189.70", "created_at": "2026-11-01T10:00:00-05:00",
    "updated_at": "2026-11-01T10:05:00-05:00", "line_items": [{}, {}],
    "note_attributes": [{"name": "_pagelift_vid", "value": "v9"}],
    "landing_site": "/?utm_source=mail", "referring_site": ""})").as_object();
  auto order = OrderFromRest(payload);
  ASSERT_TRUE(order.ok()) << order.error().message;
  EXPECT_EQ(order->order_id, "gid://shopify/Order/820982911946154508");
  EXPECT_EQ(order->total, "199.65");
  EXPECT_EQ(order->subtotal, "189.70");
  EXPECT_EQ(order->line_count, 2);
  EXPECT_EQ(order->attribution.at("visitor_id"), "v9");
  EXPECT_EQ(order->attribution.at("utm").at("source"), "mail");
  EXPECT_FALSE(order->attribution.contains("referring_site"));
}

TEST(Orders, FloatingPointMoneyIsRefused) {
  const auto payload = json::parse(R"({"id": 1, "total_price": 19.99, "created_at": "2026-11-01T10:00:00Z"})");
  EXPECT_FALSE(OrderFromRest(payload.as_object()).ok());
  EXPECT_TRUE(IsDecimalAmount("0.10"));
  EXPECT_TRUE(IsDecimalAmount("-3"));
  EXPECT_FALSE(IsDecimalAmount("1e3"));
  EXPECT_FALSE(IsDecimalAmount("1."));
  EXPECT_FALSE(IsDecimalAmount(""));
}

TEST(Orders, GraphqlNodeFromTheBulkFile) {
  const auto node = json::parse(R"({
    "id": "gid://shopify/Order/5", "createdAt": "2026-11-02T00:00:00Z", "updatedAt": "2026-11-02T01:00:00Z",
    "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "EUR"}},
    "subtotalPriceSet": {"shopMoney": {"amount": "8.00", "currencyCode": "EUR"}},
    "customAttributes": [{"key": "_pagelift_vid", "value": "v5"}, {"key": "_pagelift_exp", "value": "hero:a"}],
    "customerJourneySummary": {"firstVisit": {"landingPage": "https://s.example/p?utm_source=ig", "referrerUrl": "https://instagram.com/"}},
    "lineItems": [{"id": "gid://shopify/LineItem/1"}]})").as_object();
  auto order = OrderFromGraphql(node);
  ASSERT_TRUE(order.ok()) << order.error().message;
  EXPECT_EQ(order->total, "10.00");
  EXPECT_EQ(order->line_count, 1);
  EXPECT_EQ(order->attribution.at("visitor_id"), "v5");
  EXPECT_EQ(order->attribution.at("experiments").at("hero"), "a");
  EXPECT_EQ(order->attribution.at("utm").at("source"), "ig");
  EXPECT_EQ(order->attribution.at("referring_site"), "https://instagram.com/");
}

TEST(Products, RestPayloadMapsIntoTheGraphqlShape) {
  const auto payload = json::parse(R"({
    "id": 788032119674292922, "admin_graphql_api_id": "gid://shopify/Product/788032119674292922",
    "title": "Shirt", "handle": "shirt", "body_html": "<p>Soft</p>", "status": "active", "tags": "a, b,c",
    "product_type": "Tops", "updated_at": "2026-11-01T10:00:00Z",
    "variants": [{"id": 1, "title": "S", "price": "19.00", "compare_at_price": null, "sku": "S-1"}],
    "images": [{"id": 7, "src": "https://cdn.example/1.jpg", "alt": null, "width": 800, "height": 600}],
    "options": [{"id": 3, "name": "Size", "position": 1, "values": ["S"]}]})").as_object();
  auto product = ProductFromRest(payload);
  ASSERT_TRUE(product.ok()) << product.error().message;
  EXPECT_EQ(product->product_id, "gid://shopify/Product/788032119674292922");
  EXPECT_EQ(product->handle, "shirt");
  const auto& d = product->data;
  EXPECT_EQ(d.at("descriptionHtml"), "<p>Soft</p>");
  EXPECT_EQ(d.at("status"), "ACTIVE");
  EXPECT_EQ(d.at("tags"), (json::array{"a", "b", "c"}));
  EXPECT_EQ(d.at("variants").as_array()[0].at("id"), "gid://shopify/ProductVariant/1");
  EXPECT_EQ(d.at("variants").as_array()[0].at("price"), "19.00");
  EXPECT_EQ(d.at("media").as_array()[0].at("image").at("url"), "https://cdn.example/1.jpg");
  EXPECT_FALSE(d.contains("seo"));  // REST has none: the merge keeps the stored one
}

TEST(Products, GraphqlConnectionsAreFlattened) {
  auto node = json::parse(R"({"id": "gid://shopify/Product/1", "handle": "h", "updatedAt": "2026-11-01T00:00:00Z",
    "variants": {"nodes": [{"id": "v1"}]}, "media": {"edges": [{"node": {"id": "m1"}}]},
    "seo": {"title": "t", "description": null}})").as_object();
  auto product = ProductFromGraphql(std::move(node));
  ASSERT_TRUE(product.ok());
  EXPECT_EQ(product->data.at("variants"), (json::array{json::object{{"id", "v1"}}}));
  EXPECT_EQ(product->data.at("media"), (json::array{json::object{{"id", "m1"}}}));
  EXPECT_EQ(product->data.at("seo").at("title"), "t");
  EXPECT_FALSE(ProductFromGraphql(json::object{{"id", "x"}}).ok());
}

}  // namespace
}  // namespace pagelift::shopify
