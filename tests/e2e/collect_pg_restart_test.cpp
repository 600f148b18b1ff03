// End-to-end: PostgreSQL restarts while a load generator sends batches to the real `pagelift serve` (issue #4 "Fault
// tests"). While it is down the collector answers 503 with Retry-After (never 500, never a 2xx it did not store);
// every event whose batch got a 2xx is in PostgreSQL afterwards (the generator keeps a ledger of acknowledged ids);
// and once PostgreSQL is back the same pagelift process stores events again, without a restart.
// The cluster is a private one (tests/support/pg_cluster.h), so stopping it does not disturb the other suites.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "collect_load.h"
#include "support/batch_load.h"
#include "support/pg_cluster.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDatabase = "collect_pg_restart";
constexpr const char* kShop = "restartshop00001";

// What the generators saw, by phase; guarded by mutex.
struct Ledger {
  std::mutex mutex;
  std::vector<std::string> acknowledged;  // event ids of 2xx batches
  std::map<int, int> statuses;            // HTTP status -> count
  int connection_failures = 0;            // no answer (counted, not judged: nothing was acknowledged)
  int ok_after_restart = 0;
  int unavailable_without_retry_after = 0;
};

template <typename Predicate>
bool WaitUntil(Predicate done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

TEST(CollectPgRestart, Answers503WhileDownLosesNothingAcknowledgedAndRecoversWithoutRestart) {
  PgCluster cluster(std::string(PAGELIFT_TEST_PG_DIR) + "-collect-e2e-restart");
  cluster.Start();
  {
    pqxx::connection admin(cluster.conninfo("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec(std::string("DROP DATABASE IF EXISTS ") + kDatabase + " WITH (FORCE)");
    tx.exec(std::string("CREATE DATABASE ") + kDatabase);
  }
  const unsigned short port = FreePort();
  auto env = ServeEnv(cluster.conninfo(kDatabase), port);
  env["PAGELIFT_WORKERS"] = "false";
  env["PAGELIFT_LOG_LEVEL"] = "warn";
  ServiceProcess service({"serve"}, env);
  service.Start();  // migrates the empty database itself
  ASSERT_TRUE(service.WaitForHttp(port, "/readyz", 200, 60s)) << service.Output();
  InsertBareShop(cluster.conninfo(kDatabase), "restart.myshopify.com", kShop);

  Ledger ledger;
  // When PostgreSQL was back: a batch sent from then on counts as "after the restart".
  std::atomic<BatchLoad::SentAt> restarted_at{BatchLoad::SentAt::max()};
  BatchLoad load(
      port, "/v1/collect", 2,
      [](std::mt19937_64& random, int seed, std::vector<std::string>& ids) {
        return PageViewBatch(random, seed, kShop, 20, ids);
      },
      [&](const std::vector<std::string>& ids, const HttpResult& result, BatchLoad::SentAt sent_at) {
        {
          std::lock_guard lock(ledger.mutex);
          ++ledger.statuses[result.status];
          if (result.status == 200) {
            ledger.acknowledged.insert(ledger.acknowledged.end(), ids.begin(), ids.end());
            if (sent_at >= restarted_at.load()) ++ledger.ok_after_restart;
          } else if (result.status == 503 && !result.headers.contains("retry-after")) {
            ++ledger.unavailable_without_retry_after;
          }
        }
        if (result.status == 503) std::this_thread::sleep_for(20ms);  // a client backs off; no flood of 503s
      },
      [&] {
        std::lock_guard lock(ledger.mutex);
        ++ledger.connection_failures;
      });
  const auto count = [&](int status) {
    std::lock_guard lock(ledger.mutex);
    return ledger.statuses[status];
  };

  ASSERT_TRUE(WaitUntil([&] { return count(200) >= 30; }, 60s)) << service.Output();
  cluster.Stop();  // fast shutdown: in-flight group commits lose their connections
  const bool saw_503 = WaitUntil([&] { return count(503) >= 5; }, 60s);
  cluster.Start();
  restarted_at = std::chrono::steady_clock::now();
  const bool recovered = WaitUntil(
      [&] {
        std::lock_guard lock(ledger.mutex);
        return ledger.ok_after_restart >= 30;
      },
      90s);
  load.Stop();

  EXPECT_TRUE(saw_503) << "no 503 while PostgreSQL was down";
  EXPECT_TRUE(recovered) << "pagelift did not store events again after PostgreSQL came back\n" << service.Output();
  EXPECT_TRUE(service.Running()) << "pagelift exited";
  for (const auto& [status, n] : ledger.statuses) {
    EXPECT_TRUE(status == 200 || status == 503) << n << " answers with status " << status;
  }
  EXPECT_EQ(ledger.unavailable_without_retry_after, 0);
  std::cout << "collect_pg_restart: " << count(200) << " batches acknowledged (" << ledger.ok_after_restart
            << " after the restart), " << count(503) << " answered 503, " << ledger.connection_failures
            << " connection failures\n";

  EXPECT_EQ(CountStoredEvents(cluster.conninfo(kDatabase), ledger.acknowledged),
            static_cast<long long>(ledger.acknowledged.size()))
      << "acknowledged events were lost";
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0) << service.Output();
}

}  // namespace
}  // namespace pagelift::testing
