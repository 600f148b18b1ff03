// Shared by the collector's integration tests: a Collector behind a real http::Server on a free port, with helpers to
// build events and batches, post them, and read the collector's metrics.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "api/collect.h"
#include "collect/collector.h"
#include "core/time.h"
#include "db/database.h"
#include "support/http_client.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {

namespace json = boost::json;

inline constexpr const char* kShopPublicId = "shoppublic0001";
inline constexpr const char* kJson = "application/json";

// What the app's wiring does (src/app/service.cpp): db::Unavailable escaping a handler becomes 503 + Retry-After.
inline std::optional<Error> TranslateUnavailable(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const db::Unavailable& e) {
    auto error = MakeError(ErrorCode::kUnavailable, e.what());
    error.retry_after_seconds = e.retry_after_seconds();
    return error;
  } catch (...) {
    return std::nullopt;
  }
}

// An installed shop with public id kShopPublicId; returns its shops.id.
inline std::string InsertShop(db::Database& database) {
  return InsertBareShop(database, "a.myshopify.com", kShopPublicId);
}

inline json::object Event(const std::string& id, const std::string& type = "page_view",
                          const std::string& anon_id = "anon-1") {
  return json::object{{"id", id},
                      {"type", type},
                      {"ts", FormatRfc3339Millis(Clock::now() - std::chrono::seconds(5))},
                      {"anon_id", anon_id},
                      {"session_id", "sess-1"}};
}

// A distinct, valid UUID per n.
inline std::string Uuid(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "00000000-0000-4000-8000-%012d", n);
  return buffer;
}

inline json::array Events(int first, int count) {
  json::array events;
  for (int i = 0; i < count; ++i) events.push_back(Event(Uuid(first + i)));
  return events;
}

inline std::string Body(const json::array& events, const std::string& shop = kShopPublicId) {
  return json::serialize(json::object{{"shop", shop}, {"events", events}});
}

inline json::object Parse(const HttpResult& result) { return json::parse(result.body).as_object(); }

class CollectHarness {
 public:
  CollectHarness(const std::string& conninfo, db::DatabaseOptions options) : database_(conninfo, options) {}
  ~CollectHarness() { StopServer(); }

  // (Re)creates the collector with `options` behind a fresh server.
  void StartServer(const collect::CollectorOptions& options) {
    StopServer();
    server_.Reset();
    collector_.emplace(database_, options);
    api::RegisterCollectRoutes(server_.router(), *collector_);
    http::ServerOptions server_options;
    server_options.translate_exception = TranslateUnavailable;
    server_.Start(std::move(server_options));
  }

  void StopServer() {
    server_.Shutdown();
    if (collector_) collector_->Stop();
    collector_.reset();
  }

  HttpResult Post(const std::string& body, std::map<std::string, std::string> headers = {{"Content-Type", kJson}}) {
    return server_.Request("POST", "/v1/collect", body, headers);
  }

  std::future<HttpResult> PostAsync(std::string body) {
    return std::async(std::launch::async, [this, body = std::move(body)] { return Post(body); });
  }

  long long Count(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
  }

  std::string CollectorMetrics() const {
    std::string out;
    collector_->AppendMetrics(out);
    return out;
  }

  // The value of the sample `name` (with its labels, if any) in the collector's metrics; -1 when absent.
  double Sample(const std::string& name) const {
    std::istringstream lines(CollectorMetrics());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
  }

  // Polls until the sample reaches `value` (the writer's queue is filled by other threads).
  bool WaitForSample(const std::string& name, double value) const {
    for (int i = 0; i < 500; ++i) {
      if (Sample(name) == value) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 protected:
  db::Database database_;
  std::optional<collect::Collector> collector_;
  TestServer server_;
};

}  // namespace pagelift::testing
