// Shared by the sync integration tests: a migrated test database, one in-process Shopify simulator per test suite
// (tools/shopify-sim) holding one shop, an Admin client with the shop's access token (obtained by token exchange, as
// pagelift gets it) and a BulkSync over them.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "db/database.h"
#include "shopify-sim/simulator.h"
#include "shopify/admin_client.h"
#include "shopify/bulk_sync.h"
#include "shopify/oauth.h"
#include "shopify/webhooks.h"
#include "support/http_client.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace json = boost::json;
using namespace std::chrono_literals;

// A fixture deriving from SyncHarness calls StartSimulator(shop, products, orders) in its SetUpTestSuite and
// StopSimulator() in its TearDownTestSuite (suites run one after another, so they share the static slots).
class SyncHarness : public ::testing::Test {
 protected:
  static void StartSimulator(const std::string& shop_domain, int products, int orders) {
    shopify_sim::SimulatorOptions options;
    options.shops = {shop_domain};
    options.products = products;
    options.orders = orders;
    options.bulk_running_after = 20ms;
    options.bulk_completed_after = 200ms;
    sim_ = new shopify_sim::Simulator(options);
    sim_->Start();
    shop_domain_ = new std::string(shop_domain);
    // The access token, the way pagelift gets one: a session token exchanged at the token endpoint.
    HttpClient control(sim_->port());
    const auto session = control.Request("POST", "/_sim/shops/" + shop_domain + "/session-token", "");
    ASSERT_EQ(session.status, 200) << session.body;
    shopify::AppCredentials app;
    app.api_key = "sim-api-key";
    app.secrets = {"sim-api-secret"};
    app.api_version = "2026-10";
    app.admin_base_url = sim_->base_url();
    auto tokens = shopify::ExchangeSessionToken(app, shop_domain, json::parse(session.body).at("token").as_string());
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    token_ = new std::string(tokens->access_token);
  }
  static void StopSimulator() {
    delete sim_;
    delete token_;
    delete shop_domain_;
    sim_ = nullptr;
    token_ = nullptr;
    shop_domain_ = nullptr;
  }

  SyncHarness() : database_(tdb_.conninfo(), 4) {
    shop_id_ = database_.Run([](pqxx::work& tx) {
      return tx.exec_params("INSERT INTO shops (domain, access_token_enc) VALUES ($1, '\\x00') RETURNING id",
                            *shop_domain_)[0][0]
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

  // POST /_sim/shops/{shop}/{what} with the body (GET for "state").
  json::object Control(const std::string& what, const json::object& body = {}) {
    HttpClient control(sim_->port());
    const std::string path = "/_sim/shops/" + *shop_domain_ + "/" + what;
    const auto result = body.empty() && what == "state"
                            ? control.Get(path)
                            : control.Request("POST", path, json::serialize(body), {{"content-type", "application/json"}});
    EXPECT_EQ(result.status, 200) << result.body;
    return json::parse(result.body).as_object();
  }

  // A query with $1 = the shop's id.
  long long Count(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec_params(sql, shop_id_)[0][0].as<long long>(); });
  }

  shopify::WebhookDelivery Delivery(std::string topic, json::value payload) {
    shopify::WebhookDelivery d;
    d.webhook_id = "wh-" + topic;
    d.topic = std::move(topic);
    d.shop_domain = *shop_domain_;
    d.payload = std::move(payload);
    d.shop = shopify::WebhookShop{shop_id_, "public", true};
    return d;
  }

  const shopify::ShopRef shop() const { return {shop_id_, *shop_domain_}; }

  inline static shopify_sim::Simulator* sim_ = nullptr;
  inline static std::string* token_ = nullptr;
  inline static std::string* shop_domain_ = nullptr;
  TestDatabase tdb_;
  db::Database database_;
  std::string shop_id_;
  std::unique_ptr<shopify::AdminClient> client_;
  std::unique_ptr<shopify::BulkSync> sync_;
};

}  // namespace pagelift::testing
