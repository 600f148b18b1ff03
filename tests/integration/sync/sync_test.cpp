// Bulk sync and the catalog/order webhooks against a migrated test database and the in-process Shopify simulator
// (tools/shopify-sim): 2,000 products and 5,000 orders arrive complete and exactly once under the simulator's cost
// throttling and injected 5xx; stale webhooks never overwrite newer rows; userErrors come back as typed errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <set>
#include <string>

#include "db/database.h"
#include "shopify-sim/simulator.h"
#include "shopify/admin_client.h"
#include "shopify/bulk_sync.h"
#include "shopify/graphql_documents.h"
#include "shopify/oauth.h"
#include "shopify/sync_runs.h"
#include "shopify/webhook_handlers.h"
#include "support/http_client.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kShop = "sync-shop.myshopify.com";
constexpr int kProducts = 2000;
constexpr int kOrders = 5000;

class SyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shopify_sim::SimulatorOptions options;
    options.shops = {kShop};
    options.products = kProducts;
    options.orders = kOrders;
    options.bulk_running_after = 20ms;
    options.bulk_completed_after = 200ms;
    sim_ = new shopify_sim::Simulator(options);
    sim_->Start();
    // The access token, the way pagelift gets one: a session token exchanged at the token endpoint.
    HttpClient control(sim_->port());
    const auto session = control.Request("POST", std::string("/_sim/shops/") + kShop + "/session-token", "");
    ASSERT_EQ(session.status, 200) << session.body;
    shopify::AppCredentials app;
    app.api_key = "sim-api-key";
    app.secrets = {"sim-api-secret"};
    app.api_version = "2026-10";
    app.admin_base_url = sim_->base_url();
    auto tokens = shopify::ExchangeSessionToken(app, kShop, json::parse(session.body).at("token").as_string());
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    token_ = new std::string(tokens->access_token);
  }
  static void TearDownTestSuite() {
    delete sim_;
    delete token_;
    sim_ = nullptr;
    token_ = nullptr;
  }

  SyncTest() : database_(tdb_.conninfo(), 4) {
    shop_id_ = database_.Run([](pqxx::work& tx) {
      return tx.exec_params("INSERT INTO shops (domain, access_token_enc) VALUES ($1, '\\x00') RETURNING id", kShop)[0][0]
          .as<std::string>();
    });
    shopify::TokenProvider tokens;
    tokens.access_token = [](const std::string&) -> Result<std::string> { return *token_; };
    shopify::AdminClientOptions options;
    options.admin_base_url = sim_->base_url();
    options.backoff_base = 50ms;
    client_ = std::make_unique<shopify::AdminClient>(shopify::MakeCurlTransport(), tokens, options);
    shopify::BulkSyncOptions sync_options;
    sync_options.poll_initial = 50ms;
    sync_options.poll_max = 400ms;
    sync_options.in_progress_retry = 100ms;
    sync_ = std::make_unique<shopify::BulkSync>(database_, *client_, sync_options);
    Control("faults", json::object{{"reset", true}});
  }

  json::object Control(const std::string& what, const json::object& body = {}) {
    HttpClient control(sim_->port());
    const auto result = body.empty() && what == "state"
                            ? control.Get(std::string("/_sim/shops/") + kShop + "/" + what)
                            : control.Request("POST", std::string("/_sim/shops/") + kShop + "/" + what,
                                              json::serialize(body), {{"content-type", "application/json"}});
    EXPECT_EQ(result.status, 200) << result.body;
    return json::parse(result.body).as_object();
  }

  long long Count(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec_params(sql, shop_id_)[0][0].as<long long>(); });
  }

  shopify::WebhookDelivery Delivery(std::string topic, json::value payload) {
    shopify::WebhookDelivery d;
    d.webhook_id = "wh-" + topic;
    d.topic = std::move(topic);
    d.shop_domain = kShop;
    d.payload = std::move(payload);
    d.shop = shopify::WebhookShop{shop_id_, "public", true};
    return d;
  }

  static shopify_sim::Simulator* sim_;
  static std::string* token_;
  TestDatabase tdb_;
  db::Database database_;
  std::string shop_id_;
  std::unique_ptr<shopify::AdminClient> client_;
  std::unique_ptr<shopify::BulkSync> sync_;
  const shopify::ShopRef shop() const { return {shop_id_, kShop}; }
};

shopify_sim::Simulator* SyncTest::sim_ = nullptr;
std::string* SyncTest::token_ = nullptr;

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

TEST_F(SyncTest, ShopInstalledSubscribesEveryTopicOnceAndEnqueuesTheProductSync) {
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
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE shop_id = $1 AND kind = 'bulk_sync' AND status = 'queued'"), 1);
}

}  // namespace
}  // namespace pagelift::testing
