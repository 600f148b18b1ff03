// End-to-end durability of the collector (issue #4 "Fault tests"): `kill -9` pagelift while a load generator sends
// batches; every event whose batch got a 2xx must be in PostgreSQL. The generator keeps a ledger of acknowledged ids.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "collect_load.h"
#include "support/batch_load.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using namespace std::chrono_literals;

TEST(CollectDurability, EveryAcknowledgedEventSurvivesKillMinus9) {
  TestDatabase database;
  InsertBareShop(database.conninfo(), "durable.myshopify.com", "durableshop00001");
  const unsigned short port = FreePort();
  ServiceProcess service({"serve"}, ServeEnv(database.conninfo(), port));
  service.Start();
  ASSERT_TRUE(service.WaitForHttp(port, "/readyz", 200, 30s)) << service.Output();

  std::mutex ledger_mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> batches_acknowledged{0};
  BatchLoad load(
      port, "/v1/collect", 2,
      [](std::mt19937_64& random, int seed, std::vector<std::string>& ids) {
        return PageViewBatch(random, seed, "durableshop00001", 20, ids);
      },
      [&](const std::vector<std::string>& ids, const HttpResult& result, BatchLoad::SentAt) {
        if (result.status != 200) return;
        std::lock_guard lock(ledger_mutex);
        acknowledged.insert(acknowledged.end(), ids.begin(), ids.end());
        ++batches_acknowledged;
      });
  for (int i = 0; i < 500 && batches_acknowledged < 50; ++i) std::this_thread::sleep_for(10ms);
  service.Signal(SIGKILL);
  EXPECT_EQ(service.Wait(10s), 128 + SIGKILL);
  std::this_thread::sleep_for(200ms);
  load.Stop();

  ASSERT_GE(batches_acknowledged.load(), 50) << "the load generator never got going:\n" << service.Output();
  EXPECT_EQ(CountStoredEvents(database.conninfo(), acknowledged), static_cast<long long>(acknowledged.size()))
      << "acknowledged events were lost by kill -9";
}

}  // namespace
}  // namespace pagelift::testing
