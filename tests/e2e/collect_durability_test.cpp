// End-to-end durability of the collector (issue #4 "Fault tests"): `kill -9` pagelift while a load generator sends
// batches; every event whose batch got a 2xx must be in PostgreSQL. The generator keeps a ledger of acknowledged ids.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "collect_load.h"
#include "support/http_client.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using namespace std::chrono_literals;

TEST(CollectDurability, EveryAcknowledgedEventSurvivesKillMinus9) {
  TestDatabase database;
  {
    pqxx::connection connection(database.conninfo());
    pqxx::work tx(connection);
    tx.exec0("INSERT INTO shops (domain, access_token_enc, public_id) "
             "VALUES ('durable.myshopify.com', '\\x00'::bytea, 'durableshop00001')");
    tx.commit();
  }
  const unsigned short port = FreePort();
  ServiceProcess service({"serve"}, ServeEnv(database.conninfo(), port));
  service.Start();
  ASSERT_TRUE(service.WaitForHttp(port, "/readyz", 200, 30s)) << service.Output();

  std::mutex ledger_mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> batches_acknowledged{0};
  std::atomic<bool> stop{false};
  auto generator = [&](int seed) {
    std::mt19937_64 random(seed);
    while (!stop) {
      try {
        HttpClient client(port);
        while (!stop) {
          std::vector<std::string> ids;
          const std::string body = PageViewBatch(random, seed, "durableshop00001", 20, ids);
          auto result = client.Request("POST", "/v1/collect", body, {{"Content-Type", "application/json"}});
          if (result.status == 200) {
            std::lock_guard lock(ledger_mutex);
            acknowledged.insert(acknowledged.end(), ids.begin(), ids.end());
            ++batches_acknowledged;
          }
        }
      } catch (const std::exception&) {
        std::this_thread::sleep_for(5ms);  // the server is gone; keep trying until told to stop
      }
    }
  };
  std::thread first(generator, 1), second(generator, 2);
  for (int i = 0; i < 500 && batches_acknowledged < 50; ++i) std::this_thread::sleep_for(10ms);
  service.Signal(SIGKILL);
  EXPECT_EQ(service.Wait(10s), 128 + SIGKILL);
  std::this_thread::sleep_for(200ms);
  stop = true;
  first.join();
  second.join();

  ASSERT_GE(batches_acknowledged.load(), 50) << "the load generator never got going:\n" << service.Output();
  pqxx::connection connection(database.conninfo());
  pqxx::work tx(connection);
  std::string array = "{";
  for (size_t i = 0; i < acknowledged.size(); ++i) array += (i ? "," : "") + acknowledged[i];
  array += "}";
  const auto stored = tx.exec_params1("SELECT count(DISTINCT event_id) FROM events WHERE event_id = ANY($1::uuid[])",
                                      array)[0]
                          .as<long long>();
  EXPECT_EQ(stored, static_cast<long long>(acknowledged.size()))
      << "acknowledged events were lost by kill -9";
}

}  // namespace
}  // namespace pagelift::testing
