// Shared by the patches tests: the in-process Shopify simulator with two shops, a migrated test database, and the
// real /api patch routes behind an http::Server, authenticated the production way (the simulator signs App Bridge
// session tokens; the first request exchanges one for an offline token, stored encrypted; the Admin API client gets it
// from the TokenStore). Recommendations are seeded as rows, as the audit engine would write them.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>

#include "api/patches.h"
#include "db/database.h"
#include "experiments/repository.h"
#include "recommend/autopilot.h"
#include "recommend/patches.h"
#include "shopify-sim/simulator.h"
#include "shopify/admin_client.h"
#include "shopify/oauth.h"
#include "shopify/token_store.h"
#include "support/admin_session.h"
#include "support/http_client.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {

namespace json = boost::json;

inline constexpr const char* kShopA = "patch-a.myshopify.com";
inline constexpr const char* kShopB = "patch-b.myshopify.com";

class PatchesHarness : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shopify_sim::SimulatorOptions options;
    options.shops = {kShopA, kShopB};
    options.products = 12;
    options.orders = 5;
    sim_ = new shopify_sim::Simulator(options);
    sim_->Start();
  }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }

  PatchesHarness()
      : database_(test_database_.conninfo(), 6),
        admin_(database_, App()),
        tokens_(database_, admin_.keys(), admin_.app()),
        client_(shopify::MakeCurlTransport(), shopify::TokenProviderFor(tokens_), ClientOptions()),
        patches_(database_, client_),
        experiments_(database_),
        autopilot_(database_, patches_, experiments_) {
    api::RegisterPatchRoutes(server_.router(), admin_.deps(), patches_);
    server_.Start();
  }
  ~PatchesHarness() override {
    server_.Shutdown();
    database_.Shutdown();
  }

  // The simulator's app (it signs session tokens with this secret and exchanges them for offline tokens).
  static shopify::AppCredentials App() {
    shopify::AppCredentials app = TestApp("sim-api-key", "sim-api-secret");
    app.scopes = "read_products,write_products";
    app.admin_base_url = sim_->base_url();
    return app;
  }
  static shopify::AdminClientOptions ClientOptions() {
    shopify::AdminClientOptions options;
    options.admin_base_url = sim_->base_url();
    options.backoff_base = std::chrono::milliseconds(20);
    return options;
  }

  // ---- the simulator ---------------------------------------------------------------------------------------------
  static HttpResult SimRequest(const std::string& method, const std::string& target, const json::value& body = nullptr) {
    HttpClient client(sim_->port());
    if (method == "GET") return client.Get(target);
    return client.Request(method, target, body.is_null() ? "" : json::serialize(body),
                          {{"content-type", "application/json"}});
  }
  static json::object SimState(const std::string& shop) {
    const auto state = SimRequest("GET", "/_sim/shops/" + shop + "/state");
    EXPECT_EQ(state.status, 200) << state.body;
    return json::parse(state.body).as_object();
  }
  // A product as the simulator holds it, serialized, without updatedAt (Shopify moves it on every write; a rollback
  // restores content, not the clock).
  static std::string ProductBytes(const std::string& shop, const std::string& gid) {
    const json::object state = SimState(shop);  // kept alive: the loop walks into it
    for (const auto& product : state.at("products").as_array()) {
      if (product.at("id").as_string() != gid) continue;
      json::object copy = product.as_object();
      copy.erase("updatedAt");
      return json::serialize(copy);
    }
    ADD_FAILURE() << "no product " << gid;
    return {};
  }
  static json::object Product(const std::string& shop, const std::string& gid) {
    const json::object state = SimState(shop);  // kept alive: the loop walks into it
    for (const auto& product : state.at("products").as_array()) {
      if (product.at("id").as_string() == gid) return product.as_object();
    }
    ADD_FAILURE() << "no product " << gid;
    return {};
  }
  // The app's metafields, serialized (the state lists them in creation order).
  static std::string MetafieldBytes(const std::string& shop) {
    return json::serialize(SimState(shop).at("metafields"));
  }
  // The first product with at least one image.
  static json::object ProductWithMedia(const std::string& shop, int skip = 0) {
    const json::object state = SimState(shop);  // kept alive: the loop walks into it
    for (const auto& product : state.at("products").as_array()) {
      const auto& media = product.at("media").at("nodes").as_array();
      if (!media.empty() && skip-- == 0) return product.as_object();
    }
    ADD_FAILURE() << "no product with media";
    return {};
  }
  static void EditAsMerchant(const std::string& shop, const std::string& gid, const json::object& fields) {
    const std::string numeric = gid.substr(gid.rfind('/') + 1);  // a gid's slashes would split the path
    const auto edited = SimRequest("POST", "/_sim/shops/" + shop + "/products/" + numeric, fields);
    ASSERT_EQ(edited.status, 200) << edited.body;
  }

  // ---- pagelift ----------------------------------------------------------------------------------------------------
  static std::string SessionToken(const std::string& shop) {
    const auto issued = SimRequest("POST", "/_sim/shops/" + shop + "/session-token");
    EXPECT_EQ(issued.status, 200) << issued.body;
    return std::string(json::parse(issued.body).at("token").as_string());
  }
  HttpResult Call(const std::string& shop, const std::string& method, const std::string& target) {
    return AuthorisedRequest(server_.port(), SessionToken(shop), method, target);
  }
  static json::object Body(const HttpResult& result) { return json::parse(result.body).as_object(); }

  // Installs the shop through token exchange (its first authenticated call) and returns shops.id.
  std::string Install(const std::string& shop) {
    const auto listed = Call(shop, "GET", "/api/patches");
    EXPECT_EQ(listed.status, 200) << listed.body;
    return Scalar("SELECT id::text FROM shops WHERE domain = '" + shop + "'");
  }
  void SetSettings(const std::string& shop_id, const std::string& settings_json) {
    database_.Run([&](pqxx::work& tx) {
      tx.exec_params("UPDATE shops SET settings = $2::jsonb WHERE id = $1", shop_id, settings_json);
    });
  }
  // Each seeded row gets its own rule id ("<rule>.<n>"): (shop, entity, rule) is unique.
  std::string Seed(const std::string& shop_id, const json::object& payload, const std::string& category = "copy",
                   const std::string& rule_prefix = "copy.test") {
    const std::string rule = rule_prefix + "." + std::to_string(++seeded_);
    return database_.Run([&](pqxx::work& tx) {
      return tx
          .exec_params("INSERT INTO recommendations (shop_id, entity_type, entity_id, category, rule_id, severity, "
                       "rationale, patch_payload) VALUES ($1, 'product', $2, $3, $4, 'high', $5, $6::jsonb) "
                       "RETURNING id::text",
                       shop_id, payload.contains("product_id") ? payload.at("product_id").as_string().c_str() : "shop",
                       category, rule, "Because the test says so.", json::serialize(payload))[0][0]
          .as<std::string>();
    });
  }
  std::string Scalar(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) {
      auto rows = tx.exec(sql);
      return rows.empty() || rows[0][0].is_null() ? std::string() : rows[0][0].as<std::string>();
    });
  }
  long long Count(const std::string& sql) { return std::stoll(Scalar(sql)); }

  static json::object ProductUpdate(const json::object& product, json::object expected, json::object set) {
    const std::string gid(product.at("id").as_string());
    return {{"kind", "product_update"}, {"target", "product:" + gid}, {"product_id", gid},
            {"expected", std::move(expected)}, {"set", std::move(set)}};
  }
  static json::object MetafieldsSet(const std::string& owner, const std::string& key, json::object value) {
    return {{"kind", "metafields_set"}, {"target", "metafield:" + owner + ":$app." + key}, {"owner_id", owner},
            {"namespace", "$app"}, {"key", key}, {"type", "json"}, {"value", std::move(value)}};
  }

  static shopify_sim::Simulator* sim_;
  int seeded_ = 0;
  TestDatabase test_database_;
  db::Database database_;
  AdminSession admin_;
  shopify::TokenStore tokens_;
  shopify::AdminClient client_;
  recommend::PatchService patches_;
  experiments::Repository experiments_;
  recommend::Autopilot autopilot_;
  TestServer server_;
};

inline shopify_sim::Simulator* PatchesHarness::sim_ = nullptr;

}  // namespace pagelift::testing
