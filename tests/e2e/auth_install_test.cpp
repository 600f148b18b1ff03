// End-to-end: the real `pagelift serve` against the Shopify simulator — install through OAuth (authorize → signed
// callback → code exchange), tokens stored encrypted, the redirect into the app; uninstall, reinstall; shop/redact
// leaving no row of the shop; customers/redact leaving none of that customer's data.
#include <signal.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "shopify/signatures.h"
#include "shopify-sim/simulator.h"
#include "support/http_client.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kShop = "demo-store.myshopify.com";

class AuthE2ETest : public ::testing::Test {
 protected:
  AuthE2ETest() : port_(FreePort()) {
    shopify_sim::SimulatorOptions options;
    options.api_key = "e2e-key";
    options.api_secrets = {"e2e-secret"};
    options.products = 5;
    options.orders = 5;
    options.redirect_urls = {"http://127.0.0.1:" + std::to_string(port_) + "/auth/callback"};
    options.compliance_url = "http://127.0.0.1:" + std::to_string(port_) + "/webhooks/shopify";
    sim_.emplace(options);
    sim_->Start();
    auto env = ServeEnv(db_.conninfo(), port_);
    env["SHOPIFY_API_KEY"] = "e2e-key";
    env["SHOPIFY_API_SECRET"] = "e2e-secret";
    env["SHOPIFY_ADMIN_BASE_URL"] = sim_->base_url();
    env["PAGELIFT_LOG_LEVEL"] = "info";
    service_.emplace(std::vector<std::string>{"serve"}, env);
    service_->Start();
    EXPECT_TRUE(service_->WaitForHttp(port_, "/healthz", 200, 30s)) << service_->Output();
  }
  ~AuthE2ETest() override {
    service_->Signal(SIGTERM);
    service_->Wait(15s);
    sim_->Shutdown();
  }

  // The path and query of an absolute URL.
  static std::string TargetOf(const std::string& url) {
    const auto slash = url.find('/', url.find("//") + 2);
    return url.substr(slash);
  }

  // install → simulator's authorize → callback; returns the callback's answer.
  HttpResult InstallThroughOAuth() {
    HttpClient app(port_);
    auto install = app.Get(std::string("/auth/install?shop=") + kShop);
    EXPECT_EQ(install.status, 302) << install.body;
    HttpClient shopify(sim_->port());
    auto authorize = shopify.Get(TargetOf(install.headers["location"]));
    EXPECT_EQ(authorize.status, 302) << authorize.body;
    HttpClient callback(port_);
    return callback.Get(TargetOf(authorize.headers["location"]));
  }

  long long Count(const std::string& sql) {
    pqxx::connection conn(db_.conninfo());
    pqxx::work tx(conn);
    return tx.exec(sql)[0][0].as<long long>();
  }

  HttpResult SendWebhook(const std::string& topic, const std::string& body, const std::string& id) {
    HttpClient client(port_);
    return client.Request("POST", "/webhooks/shopify", body,
                          {{"Content-Type", "application/json"},
                           {"X-Shopify-Hmac-Sha256", shopify::ComputeWebhookHmac(body, "e2e-secret")},
                           {"X-Shopify-Topic", topic},
                           {"X-Shopify-Shop-Domain", kShop},
                           {"X-Shopify-API-Version", "2026-10"},
                           {"X-Shopify-Webhook-Id", id}});
  }

  bool WaitFor(const std::string& sql, long long expected) {
    for (int i = 0; i < 200; ++i) {
      if (Count(sql) == expected) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  TestDatabase db_;
  unsigned short port_;
  std::optional<shopify_sim::Simulator> sim_;
  std::optional<ServiceProcess> service_;
};

TEST_F(AuthE2ETest, InstallUninstallReinstallAndShopRedact) {
  auto callback = InstallThroughOAuth();
  ASSERT_EQ(callback.status, 302) << callback.body << service_->Output();
  EXPECT_EQ(callback.headers["location"].rfind("http://127.0.0.1:" + std::to_string(port_) + "/app?shop=" + kShop, 0),
            0u);
  // Stored encrypted: the simulator's tokens start with shpat_/shprt_, the stored bytes do not contain them.
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE domain = 'demo-store.myshopify.com' AND uninstalled_at IS NULL "
                  "AND position('shpat_'::bytea IN access_token_enc) = 0 "
                  "AND position('shprt_'::bytea IN refresh_token_enc) = 0 AND length(access_token_enc) > 28"),
            1);
  EXPECT_EQ(service_->Output().find("shpat_"), std::string::npos) << "a token reached the logs";

  ASSERT_EQ(SendWebhook("app/uninstalled", "{}", "e2e-u1").status, 200);
  EXPECT_TRUE(WaitFor("SELECT count(*) FROM shops WHERE uninstalled_at IS NOT NULL", 1)) << service_->Output();

  callback = InstallThroughOAuth();
  ASSERT_EQ(callback.status, 302) << callback.body;
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE uninstalled_at IS NULL"), 1);

  ASSERT_EQ(SendWebhook("app/uninstalled", "{}", "e2e-u2").status, 200);
  EXPECT_TRUE(WaitFor("SELECT count(*) FROM shops WHERE uninstalled_at IS NOT NULL", 1));
  const auto shop_id = [&] {
    pqxx::connection conn(db_.conninfo());
    pqxx::work tx(conn);
    return tx.exec("SELECT id::text FROM shops")[0][0].as<std::string>();
  }();
  // shop/redact delivered by the simulator with its own signature.
  HttpClient control(sim_->port());
  auto redact = control.Request("POST", std::string("/_sim/shops/") + kShop + "/compliance/shop-redact", "{}",
                                {{"Content-Type", "application/json"}});
  ASSERT_EQ(redact.status, 202) << redact.body;
  EXPECT_TRUE(sim_->WaitForDeliveries(10s));
  EXPECT_TRUE(WaitFor("SELECT count(*) FROM shops", 0)) << service_->Output();
  for (const char* table : {"orders_cache", "products_cache", "events", "assignments", "jobs", "compliance_reports"}) {
    EXPECT_EQ(Count(std::string("SELECT count(*) FROM ") + table + " WHERE shop_id = '" + shop_id + "'"), 0) << table;
  }
}

TEST_F(AuthE2ETest, CustomersRedactLeavesNoneOfThatCustomersOrders) {
  ASSERT_EQ(InstallThroughOAuth().status, 302);
  {
    pqxx::connection conn(db_.conninfo());
    pqxx::work tx(conn);
    tx.exec("INSERT INTO orders_cache (shop_id, order_id, total, created_at, attribution) "
            "SELECT id, '9001', 5, now(), '{\"visitor_id\": \"vis-9001\"}' FROM shops");
    tx.exec("INSERT INTO orders_cache (shop_id, order_id, total, created_at) SELECT id, '9002', 5, now() FROM shops");
    tx.exec("INSERT INTO events (shop_id, event_id, anon_id, session_id, event_type) "
            "SELECT id, gen_random_uuid(), 'vis-9001', 's', 'page_view' FROM shops");
    tx.commit();
  }
  HttpClient control(sim_->port());
  auto redact = control.Request("POST", std::string("/_sim/shops/") + kShop + "/compliance/customers-redact",
                                R"({"customer": {"id": 42, "email": "c@example.com", "phone": null}, "orders": [9001]})",
                                {{"Content-Type", "application/json"}});
  ASSERT_EQ(redact.status, 202) << redact.body;
  EXPECT_TRUE(sim_->WaitForDeliveries(10s));
  EXPECT_TRUE(WaitFor("SELECT count(*) FROM orders_cache WHERE order_id = '9001'", 0)) << service_->Output();
  EXPECT_TRUE(WaitFor("SELECT count(*) FROM events WHERE anon_id = 'vis-9001'", 0));
  EXPECT_EQ(Count("SELECT count(*) FROM orders_cache WHERE order_id = '9002'"), 1);
}

}  // namespace
}  // namespace pagelift::testing
