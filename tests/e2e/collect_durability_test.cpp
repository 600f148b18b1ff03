// End-to-end durability of the collector (issue #4 "Fault tests"): `kill -9` pagelift while a load generator sends
// batches; every event whose batch got a 2xx must be in PostgreSQL. The generator keeps a ledger of acknowledged ids.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "core/time.h"
#include "support/http_client.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace pagelift::testing {
namespace {

using namespace std::chrono_literals;

std::string RandomUuid(std::mt19937_64& random) {
  const auto a = random(), b = random();
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                static_cast<unsigned>(b >> 48) & 0xfff, static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

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
          boost::json::array events;
          std::vector<std::string> ids;
          for (int i = 0; i < 20; ++i) {
            ids.push_back(RandomUuid(random));
            events.push_back({{"id", ids.back()},
                              {"type", "page_view"},
                              {"ts", FormatRfc3339Millis(std::chrono::system_clock::now())},
                              {"anon_id", "visitor-" + std::to_string(seed)},
                              {"session_id", "session-" + std::to_string(seed)},
                              {"props", {{"url", "/products/x"}}}});
          }
          const boost::json::object body{{"shop", "durableshop00001"}, {"events", events}};
          auto result = client.Request("POST", "/v1/collect", boost::json::serialize(body),
                                       {{"Content-Type", "application/json"}});
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
