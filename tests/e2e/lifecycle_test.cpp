// End-to-end: the process lifecycle of `pagelift` — configuration errors, clean shutdown on SIGTERM with in-flight
// requests, and PostgreSQL going away and coming back while pagelift keeps running.
#include <signal.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <pqxx/pqxx>
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <thread>

#include "support/http_client.h"
#include "support/pg_cluster.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using namespace std::chrono_literals;

TEST(Lifecycle, VersionAndHelp) {
  ServiceProcess version({"version"}, {});
  version.Start();
  EXPECT_EQ(version.Wait(10s), 0);
  EXPECT_EQ(version.Output().rfind("pagelift ", 0), 0u) << version.Output();
  for (const char* command : {"serve", "worker", "migrate", "demo", "stats", "version"}) {
    ServiceProcess help({command, "--help"}, {});
    help.Start();
    EXPECT_EQ(help.Wait(10s), 0) << command;
    EXPECT_NE(help.Output().find("Usage: pagelift"), std::string::npos) << command;
  }
  ServiceProcess unknown({"frobnicate"}, {});
  unknown.Start();
  EXPECT_EQ(unknown.Wait(10s), 2);
}

TEST(Lifecycle, MissingOrMalformedConfigurationNamesTheVariable) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string variable;
  };
  const std::vector<Case> cases = {
      {{{"DATABASE_URL", ""}}, "DATABASE_URL"},
      {{{"DATABASE_URL", "host=/nonexistent"}, {"PAGELIFT_LISTEN", "nonsense"}}, "PAGELIFT_LISTEN"},
      {{{"DATABASE_URL", "host=/nonexistent"}, {"PAGELIFT_TOKEN_KEYS", ""}, {"SHOPIFY_API_KEY", "k"},
        {"SHOPIFY_API_SECRET", "s"}},
       "PAGELIFT_TOKEN_KEYS"},
      {{{"DATABASE_URL", "host=/nonexistent"}, {"PAGELIFT_TOKEN_KEYS", "bad"}, {"SHOPIFY_API_KEY", "k"},
        {"SHOPIFY_API_SECRET", "s"}},
       "PAGELIFT_TOKEN_KEYS"},
  };
  for (const auto& c : cases) {
    auto env = c.env;
    for (const char* name : {"DATABASE_URL", "PAGELIFT_TOKEN_KEYS", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET"}) {
      env.try_emplace(name, "");
    }
    for (const char* command : {"serve", "worker"}) {  // a worker uses the tokens as much as serve does
      ServiceProcess process({command}, env);
      process.Start();
      EXPECT_EQ(process.Wait(10s), 2) << command << ": " << c.variable;
      EXPECT_NE(process.Output().find(c.variable), std::string::npos) << command << ": " << process.Output();
    }
  }
}

// What `make run` does: `pagelift demo` with no configuration initialises ./var/pg, migrates, serves, starts the
// Shopify simulator with a seeded store, installs the app into it through OAuth (install → authorize → callback),
// syncs its products and orders and prints the admin's URL; Ctrl-C stops it, the simulator and its cluster; a second
// run reuses the data and the same shop (re-authorised through OAuth again, synced again into the same rows).
TEST(Lifecycle, DemoInstallsThroughOAuthSyncsAndStopsCleanlyTwice) {
  char dir_template[] = "/tmp/pagelift-demo-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  chmod(dir.c_str(), 0755);  // as root, the cluster runs as postgres and must reach ./var/pg
  constexpr const char* kShop = "demo-store.myshopify.com";
  std::string shop_id;
  for (int run = 0; run < 2; ++run) {
    const unsigned short port = FreePort();
    const unsigned short sim_port = FreePort();
    ServiceProcess demo({"demo"}, {{"PAGELIFT_LISTEN", "127.0.0.1:" + std::to_string(port)},
                                   {"SIM_LISTEN", "127.0.0.1:" + std::to_string(sim_port)},
                                   {"SIM_PRODUCTS", "40"}, {"SIM_ORDERS", "60"},
                                   {"DATABASE_URL", ""}, {"PAGELIFT_TOKEN_KEYS", ""}, {"SHOPIFY_ADMIN_BASE_URL", ""},
                                   {"SHOPIFY_API_KEY", ""}, {"SHOPIFY_API_SECRET", ""}, {"SHOPIFY_APP_URL", ""}},
                      dir);
    demo.Start();
    ASSERT_TRUE(demo.WaitForHttp(port, "/readyz", 200, 90s)) << demo.Output();
    const std::string admin_url =
        "http://127.0.0.1:" + std::to_string(sim_port) + "/" + kShop + "/admin/apps/pagelift-demo";
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (demo.Output().find("Open " + admin_url) == std::string::npos && demo.Running() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(200ms);
    }
    const std::string output = demo.Output();
    ASSERT_NE(output.find("Open " + admin_url), std::string::npos) << output;
    EXPECT_NE(output.find(std::string("installed into ") + kShop + " through OAuth"), std::string::npos) << output;
    EXPECT_NE(output.find("synced 40 products and 60 orders"), std::string::npos) << output;
    // The callback installed (first run) or re-authorised (second run) the shop; no token exchange stood in for it.
    EXPECT_NE(output.find(run == 0 ? "\"message\":\"shop installed\"" : "\"message\":\"shop re-authorised\""),
              std::string::npos)
        << output;
    EXPECT_EQ(output.find("by token exchange"), std::string::npos) << output;

    const std::string conninfo = "host=" + dir + "/var/pg/run port=5432 user=postgres dbname=pagelift";
    // The two demo experiments run (created once: the second run finds them) and storefront traffic reaches the
    // collector for both; the first wave follows the printed URL.
    const auto live = [&conninfo] {
      pqxx::connection connection(conninfo);
      pqxx::work tx(connection);
      const auto row = tx.exec(
          "SELECT (SELECT count(*) FROM experiments), (SELECT count(*) FROM experiments WHERE status = 'running'), "
          "(SELECT count(DISTINCT experiment_id) FROM events WHERE event_type = 'exposure')")[0];
      return std::array<int, 3>{row[0].as<int>(), row[1].as<int>(), row[2].as<int>()};
    };
    std::array<int, 3> experiments{};
    for (const auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
      experiments = live();
      if (experiments[2] == 2) break;
      std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(experiments, (std::array<int, 3>{2, 2, 2})) << "experiments, running, with exposures\n" << demo.Output();

    {
      pqxx::connection connection(conninfo);
      pqxx::work tx(connection);
      const auto shop = tx.exec_params(
          "SELECT id::text, refresh_token_enc IS NOT NULL, uninstalled_at IS NULL FROM shops WHERE domain = $1", kShop);
      ASSERT_EQ(shop.size(), 1u);
      if (run == 0) shop_id = shop[0][0].as<std::string>();
      EXPECT_EQ(shop[0][0].as<std::string>(), shop_id) << "the second run reuses the shop";
      EXPECT_TRUE(shop[0][1].as<bool>()) << "an expiring offline token with its refresh token";
      EXPECT_TRUE(shop[0][2].as<bool>());
      EXPECT_EQ(tx.exec_params("SELECT count(*) FROM products_cache WHERE shop_id = $1::uuid", shop_id)[0][0].as<int>(), 40);
      EXPECT_EQ(tx.exec_params("SELECT count(*) FROM orders_cache WHERE shop_id = $1::uuid", shop_id)[0][0].as<int>(), 60);
      EXPECT_EQ(tx.exec("SELECT count(*) FROM shops")[0][0].as<int>(), 1);
      tx.commit();
    }  // closes the connection: the demo's cluster stops on Ctrl-C

    demo.Signal(SIGINT);
    EXPECT_EQ(demo.Wait(30s), 0) << demo.Output();
  }
  std::filesystem::remove_all(dir);
}

class Running : public ::testing::Test {
 protected:
  void StartService(const std::string& conninfo, std::map<std::string, std::string> extra = {}) {
    port_ = FreePort();
    auto env = ServeEnv(conninfo, port_);
    for (auto& [k, v] : extra) env[k] = v;
    service_ = std::make_unique<ServiceProcess>(std::vector<std::string>{"serve"}, env);
    service_->Start();
    ASSERT_TRUE(service_->WaitForHttp(port_, "/readyz", 200, 30s)) << service_->Output();
  }
  unsigned short port_ = 0;
  std::unique_ptr<ServiceProcess> service_;
};

TEST_F(Running, SigtermDuringASlowRequestCompletesItThenExitsZero) {
  TestDatabase database;
  StartService(database.conninfo());
  const std::string body = R"({"shop": "no-such-shop", "events": [{"id": "x"}]})";
  HttpClient slow(port_);
  slow.WriteRaw("POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10));
  std::this_thread::sleep_for(200ms);
  service_->Signal(SIGTERM);
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(service_->Running()) << "pagelift exited with a request in flight:\n" << service_->Output();
  // New connections are no longer accepted once shutdown began.
  EXPECT_THROW(HttpClient refused(port_), std::exception);
  slow.WriteRaw(body.substr(10));
  auto result = slow.ReadResponse();
  EXPECT_GE(result.status, 400);  // the shop does not exist; what matters is that a full answer arrived
  EXPECT_LT(result.status, 500);
  EXPECT_FALSE(result.keep_alive);
  EXPECT_TRUE(boost::json::parse(result.body).as_object().contains("error"));
  EXPECT_EQ(service_->Wait(10s), 0) << service_->Output();
  EXPECT_NE(service_->Output().find("\"message\":\"stopped\""), std::string::npos);
}

TEST_F(Running, SigtermClosesIdleKeepAliveConnectionsPromptly) {
  TestDatabase database;
  StartService(database.conninfo(), {{"PAGELIFT_SHUTDOWN_GRACE_MS", "20000"}});
  HttpClient idle(port_);
  ASSERT_EQ(idle.Get("/healthz").status, 200);
  const auto start = std::chrono::steady_clock::now();
  service_->Signal(SIGTERM);
  EXPECT_EQ(service_->Wait(10s), 0) << service_->Output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "an idle connection held shutdown back";
  EXPECT_TRUE(idle.ClosedByServer(1s));
}

TEST_F(Running, PostgresRestartGives503ThenRecoversWithoutRestartingPagelift) {
  PgCluster cluster(std::string(PAGELIFT_TEST_PG_DIR) + "-restart");
  cluster.Start();
  {
    pqxx::connection admin(cluster.conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec0("DROP DATABASE IF EXISTS pagelift_restart WITH (FORCE)");
    tx.exec0("CREATE DATABASE pagelift_restart");
  }
  const std::string conninfo = cluster.conninfo("pagelift_restart");
  StartService(conninfo);
  HttpClient client(port_);
  ASSERT_EQ(client.Get("/readyz").status, 200);

  cluster.Stop();
  auto down = HttpClient(port_).Get("/readyz");
  EXPECT_EQ(down.status, 503);
  EXPECT_FALSE(down.headers["retry-after"].empty());
  EXPECT_EQ(boost::json::parse(down.body).at("error").at("code").as_string(), "unavailable");
  // A route that needs the database answers 503 too, not 500, and the process stays up.
  auto collect = HttpClient(port_).Request(
      "POST", "/v1/collect", R"({"shop": "abcdefgh12345678", "events": [{"id": "x"}]})",
      {{"Content-Type", "application/json"}});
  EXPECT_EQ(collect.status, 503) << collect.body;
  EXPECT_FALSE(collect.headers["retry-after"].empty());
  EXPECT_EQ(HttpClient(port_).Get("/healthz").status, 200);

  cluster.Start();
  EXPECT_TRUE(service_->WaitForHttp(port_, "/readyz", 200, 30s)) << service_->Output();
  EXPECT_TRUE(service_->Running());
  cluster.Stop();
}

}  // namespace
}  // namespace pagelift::testing
