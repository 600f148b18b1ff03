// The collector while PostgreSQL is down (a private cluster is stopped and started again): requests get 503 with
// Retry-After within a bounded time, nothing is acknowledged that was not stored, and the collector recovers without
// a restart once PostgreSQL is back.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

#include "collect_harness.h"
#include "db/migrations.h"
#include "support/pg_cluster.h"

namespace pagelift::testing {
namespace {

constexpr const char* kDatabase = "collect_outage";

// Starts the private cluster and creates a freshly migrated database on it (the cluster outlives test runs).
struct OutageCluster {
  OutageCluster() : cluster(std::string(PAGELIFT_TEST_PG_DIR) + "-collect-outage") {
    cluster.Start();
    pqxx::connection admin(cluster.conninfo("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec(std::string("DROP DATABASE IF EXISTS ") + kDatabase + " WITH (FORCE)");
    tx.exec(std::string("CREATE DATABASE ") + kDatabase);
    auto migrated = db::Migrate(cluster.conninfo(kDatabase));
    if (!migrated) throw std::runtime_error("migration failed: " + migrated.error().message);
  }
  PgCluster cluster;
};

db::DatabaseOptions FastFailing() {
  db::DatabaseOptions options;
  options.pool_size = 4;
  options.connect_timeout_seconds = 1;
  options.lease_timeout = std::chrono::milliseconds(1000);
  return options;
}

class CollectOutageTest : public ::testing::Test, protected OutageCluster, public CollectHarness {
 protected:
  CollectOutageTest() : CollectHarness(cluster.conninfo(kDatabase), FastFailing()) {}
};

TEST_F(CollectOutageTest, AnswersUnavailableWhileDownAndRecoversByItself) {
  InsertShop(database_);
  StartServer({});
  const auto before = Post(Body(Events(1, 5)));
  ASSERT_EQ(before.status, 200) << before.body;  // also caches the shop, so the writer is what meets the outage

  cluster.Stop();
  const std::string during = Body(Events(100, 10));
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::future<HttpResult>> concurrent;
  for (int i = 0; i < 8; ++i) concurrent.push_back(PostAsync(Body(Events(200 + 10 * i, 10))));
  const auto refused = Post(during);
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_GE(std::stoi(refused.headers.at("retry-after")), 1);
  EXPECT_EQ(Parse(refused).at("error").at("code"), "unavailable");
  for (auto& result : concurrent) EXPECT_EQ(result.get().status, 503);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  EXPECT_GE(Sample("pagelift_collect_commit_failures_total"), 1);
  EXPECT_EQ(Sample("pagelift_collect_queue_events"), 0);  // failed requests left nothing behind

  cluster.Start();
  const auto after = Post(during);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(Parse(after).at("accepted"), 10);
  EXPECT_EQ(Parse(after).at("duplicates"), 0);  // the refused attempt stored nothing
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 15);
}

}  // namespace
}  // namespace pagelift::testing
