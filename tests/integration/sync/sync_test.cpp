// Bulk sync and the catalog/order webhooks against a migrated test database and the in-process Shopify simulator
// (tools/shopify-sim): 2,000 products and 5,000 orders arrive complete and exactly once under the simulator's cost
// throttling and injected 5xx; stale webhooks never overwrite newer rows; userErrors come back as typed errors.
#include <set>

#include "shopify/graphql_documents.h"
#include "shopify/sync_runs.h"
#include "shopify/webhook_handlers.h"
#include "sync_harness.h"

namespace pagelift::testing {
namespace {

constexpr const char* kShop = "sync-shop.myshopify.com";
constexpr int kProducts = 2000;
constexpr int kOrders = 5000;

class SyncTest : public SyncHarness {
 protected:
  static void SetUpTestSuite() { StartSimulator(kShop, kProducts, kOrders); }
  static void TearDownTestSuite() { StopSimulator(); }
};

TEST_F(SyncTest, ProductsAndOrdersArriveCompleteAndOnceUnderThrottlingAndFaults) {
  // A nearly empty bucket and failing requests: the client paces, retries, and loses nothing.
  Control("faults", json::object{{"throttle", json::object{{"available", 5}}},
                                 {"fail_next", json::object{{"count", 2}, {"status", 502}}}});
  auto products = sync_->Run(shop(), shopify::SyncKind::kProducts);
  ASSERT_TRUE(products.ok()) << products.error().message;
  EXPECT_EQ(products->objects, kProducts);
  EXPECT_EQ(products->errors, 0);

  Control("faults", json::object{{"fail_next", json::object{{"count", 2}, {"status", 503}, {"retry_after", 1}}}});
  auto orders = sync_->Run(shop(), shopify::SyncKind::kOrders);
  ASSERT_TRUE(orders.ok()) << orders.error().message;
  EXPECT_EQ(orders->objects, kOrders);

  // Ids compared with the simulator's catalog.
  const auto state = Control("state");
  std::set<std::string> expected;
  for (const auto& p : state.at("products").as_array()) expected.emplace(p.at("id").as_string());
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kProducts));
  const auto stored = database_.Run([&](pqxx::work& tx) {
    std::set<std::string> ids;
    for (const auto& row : tx.exec_params("SELECT product_id FROM products_cache WHERE shop_id = $1", shop_id_)) {
      ids.emplace(row[0].c_str());
    }
    return ids;
  });
  EXPECT_EQ(stored, expected);
  EXPECT_EQ(Count("SELECT count(*) FROM orders_cache WHERE shop_id = $1"), state.at("orderCount").as_int64());
  EXPECT_EQ(Count("SELECT count(DISTINCT order_id) FROM orders_cache WHERE shop_id = $1"), kOrders);
  // Variants travelled with their product (children reassembled from __parentId lines).
  EXPECT_EQ(Count("SELECT count(*) FROM products_cache WHERE shop_id = $1 "
                  "AND jsonb_array_length(coalesce(data->'variants', '[]')) = 0"),
            0);

  // A second full sync rewrites the same rows: no duplicates.
  auto again = sync_->Run(shop(), shopify::SyncKind::kProducts);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(Count("SELECT count(*) FROM products_cache WHERE shop_id = $1"), kProducts);

  const auto runs = database_.Run([&](pqxx::work& tx) { return shopify::LatestSyncRuns(tx, shop_id_); });
  EXPECT_EQ(runs.at("products").at("state"), "done");
  EXPECT_EQ(runs.at("products").at("objects_done"), kProducts);
  EXPECT_EQ(runs.at("orders").at("state"), "done");
  EXPECT_EQ(runs.at("orders").at("objects_done"), kOrders);
}

TEST_F(SyncTest, StaleWebhooksNeverOverwriteNewerData) {
  const auto& catalog = sync_->catalog();
  auto product = [](const char* title, const char* updated_at) {
    return json::object{{"id", 42}, {"handle", "mug"}, {"title", title}, {"updated_at", updated_at}};
  };
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, catalog,
                                           Delivery("products/update", product("New", "2026-11-02T10:00:00Z")))
                  .ok());
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, catalog,
                                           Delivery("products/update", product("Old", "2026-11-01T10:00:00Z")))
                  .ok());
  const auto title = [&] {
    return database_.Run([&](pqxx::work& tx) {
      return tx.exec_params("SELECT data->>'title' FROM products_cache WHERE shop_id = $1 AND product_id = $2",
                            shop_id_, "gid://shopify/Product/42")[0][0]
          .as<std::string>();
    });
  };
  EXPECT_EQ(title(), "New");
  ASSERT_TRUE(shopify::HandleProductUpsert(database_, catalog,
                                           Delivery("products/update", product("Newer", "2026-11-03T10:00:00Z")))
                  .ok());
  EXPECT_EQ(title(), "Newer");

  auto order = [](const char* total, const char* updated_at) {
    return json::object{{"id", 7},          {"total_price", total},   {"subtotal_price", "1.00"},
                        {"created_at", "2026-11-01T09:00:00Z"},      {"updated_at", updated_at},
                        {"line_items", json::array{json::object{}}},
                        {"note_attributes", json::array{json::object{{"name", "_pagelift_vid"}, {"value", "v1"}}}}};
  };
  const auto& orders = sync_->orders();
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/paid", order("20.50", "2026-11-01T11:00:00Z"))).ok());
  ASSERT_TRUE(shopify::HandleOrderUpsert(database_, orders, Delivery("orders/create", order("10.00", "2026-11-01T10:00:00Z"))).ok());
  const auto row = database_.Run([&](pqxx::work& tx) {
    return tx.exec_params("SELECT total::text, attribution->>'visitor_id' FROM orders_cache WHERE shop_id = $1",
                          shop_id_)[0];
  });
  EXPECT_EQ(row[0].as<std::string>(), "20.50");
  EXPECT_EQ(row[1].as<std::string>(), "v1");

  ASSERT_TRUE(shopify::HandleProductDelete(database_, catalog, Delivery("products/delete", json::object{{"id", 42}})).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM products_cache WHERE shop_id = $1"), 0);
}

TEST_F(SyncTest, UserErrorsAreSurfacedAsTypedErrors) {
  auto invalid = client_->Execute(shop(), "WebhookSubscriptionCreate",
                                  {{"topic", "PRODUCTS_UPDATE"},
                                   {"webhookSubscription", json::object{{"uri", "not a url"}, {"format", "JSON"}}}});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kBadRequest);
  EXPECT_FALSE(invalid.error().details.at("user_errors").as_array().empty());

  // One bulk query per shop at a time.
  auto first = client_->Execute(shop(), "BulkOperationRunQuery", {{"query", *shopify::GraphqlDocument("BulkProducts")}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = client_->Execute(shop(), "BulkOperationRunQuery", {{"query", *shopify::GraphqlDocument("BulkOrders")}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  // The sync waits for the running one to finish instead of failing.
  auto sync = sync_->Run(shop(), shopify::SyncKind::kOrders);
  ASSERT_TRUE(sync.ok()) << sync.error().message;
  EXPECT_EQ(sync->objects, kOrders);
}

TEST_F(SyncTest, ShopInstalledSubscribesEveryTopicOnceAndEnqueuesBothSyncs) {
  jobs::JobRegistry registry;
  shopify::RegisterSyncJobs(registry, *sync_, *client_, {"https://app.example"});
  jobs::Job job;
  job.kind = "shop_installed";
  job.shop_id = shop_id_;
  jobs::JobContext context{job, database_, [] { return false; }};
  ASSERT_TRUE((*registry.Find("shop_installed"))(context).ok());
  ASSERT_TRUE((*registry.Find("shop_installed"))(context).ok());  // idempotent: "already taken" is fine
  const auto state = Control("state");
  EXPECT_EQ(state.at("webhookSubscriptions").as_array().size(), std::size(shopify::kSubscribedTopics));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE shop_id = $1 AND kind = 'bulk_sync' AND status = 'queued'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE shop_id = $1 AND kind = 'bulk_sync' AND payload->>'kind' = 'orders'"), 1);
}

}  // namespace
}  // namespace pagelift::testing
