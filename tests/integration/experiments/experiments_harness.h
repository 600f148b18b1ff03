// Shared by the experiments integration tests: a migrated test database with one installed shop, the experiments
// repository, and (for the HTTP tests) the SDK and assign routes behind a real http::Server on a free port.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <string>

#include "api/assign.h"
#include "api/sdk.h"
#include "db/database.h"
#include "experiments/lifecycle.h"
#include "experiments/repository.h"
#include "experiments/sdk_document.h"
#include "support/http_client.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {

namespace json = boost::json;

inline constexpr const char* kPublicId = "shopexperiments01";

class ExperimentsFixture : public ::testing::Test {
 protected:
  ExperimentsFixture()
      : database_(test_database_.conninfo(), 4),
        repository_(database_),
        shop_id_(InsertBareShop(database_, "e.myshopify.com", kPublicId)) {}
  ~ExperimentsFixture() override {
    server_.Shutdown();
    if (cache_) cache_->Stop();
    cache_.reset();
    database_.Shutdown();
  }

  // A running experiment with two variants and these weights.
  experiments::Experiment CreateRunning(const std::string& weights = "[0.5, 0.5]", const std::string& extra = "") {
    const std::string body = R"({"name": "CTA", "target": "product_page:cta", "variants": [{"key": "control"},
        {"key": "treatment", "config": {"text": "Buy now"}}], "weights": )" +
                             weights + extra + "}";
    return database_.Run([&](pqxx::work& tx) {
      auto created = experiments::CreateExperiment(tx, repository_, shop_id_, json::parse(body));
      if (!created) throw std::runtime_error(created.error().message);
      auto started = experiments::TransitionExperiment(tx, repository_, shop_id_, created->id,
                                                       experiments::Status::kRunning);
      if (!started) throw std::runtime_error(started.error().message);
      return *started;
    });
  }

  void StartServer() {
    cache_.emplace(database_, repository_);
    cache_->Start();
    api::RegisterSdkRoutes(server_.router(), database_, *cache_);
    api::RegisterAssignRoutes(server_.router(), database_, repository_);
    server_.Start();
    for (int i = 0; i < 500 && !cache_->Listening(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(cache_->Listening());
  }

  HttpResult Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return server_.Get(target, headers);
  }

  HttpResult Post(const std::string& target, const json::value& body) {
    return server_.Request("POST", target, json::serialize(body), {{"Content-Type", "application/json"}});
  }

  // Runs SQL on a connection of its own (not the pool): a change made by "another server".
  void ExecElsewhere(const std::string& sql) {
    pqxx::connection connection(test_database_.conninfo());
    pqxx::work tx(connection);
    tx.exec(sql);
    tx.commit();
  }

  TestDatabase test_database_;
  db::Database database_;
  experiments::Repository repository_;
  std::string shop_id_;
  std::optional<experiments::SdkDocumentCache> cache_;
  TestServer server_;
};

}  // namespace pagelift::testing
