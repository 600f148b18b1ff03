// GET /v1/sdk/{shop}.json (ETag, 304, CORS, invalidation by NOTIFY from another connection) and POST /v1/assign
// (same answer as the script, sticky across weight changes, reshuffled by a bucket-version bump).
#include <chrono>
#include <thread>

#include "experiments/assignment_service.h"
#include "experiments/hashing.h"
#include "experiments_harness.h"

namespace pagelift::testing {
namespace {

using experiments::Status;

TEST_F(ExperimentsFixture, SdkDocumentListsRunningExperimentsWithCachingHeaders) {
  const auto running = CreateRunning();
  database_.Run([&](pqxx::work& tx) {  // a draft is not in the document
    ASSERT_TRUE(experiments::CreateExperiment(tx, repository_, shop_id_, json::parse(R"({"name": "d",
        "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}]})")).ok());
  });
  StartServer();
  const HttpResult first = Get(std::string("/v1/sdk/") + kPublicId + ".json");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.headers.at("cache-control"), "public, max-age=30");
  EXPECT_EQ(first.headers.at("access-control-allow-origin"), "*");
  EXPECT_EQ(first.headers.at("content-type"), "application/json");
  const std::string etag = first.headers.at("etag");
  EXPECT_EQ(etag.size(), 34u);
  const json::object doc = json::parse(first.body).as_object();
  EXPECT_EQ(doc.at("shop").as_string(), kPublicId);
  ASSERT_EQ(doc.at("experiments").as_array().size(), 1u);
  const json::object& e = doc.at("experiments").as_array()[0].as_object();
  EXPECT_EQ(e.at("key").as_string(), running.id);
  EXPECT_EQ(e.at("seed").as_string(), running.id);
  EXPECT_EQ(e.at("hashVersion").as_int64(), 2);
  EXPECT_EQ(e.at("bucketVersion").as_int64(), 1);
  EXPECT_EQ(e.at("target").as_string(), "product_page:cta");
  EXPECT_EQ(e.at("variations").as_array()[1].at("config").at("text").as_string(), "Buy now");

  const auto loads = cache_->loads();
  const HttpResult again = Get(std::string("/v1/sdk/") + kPublicId + ".json", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.headers.at("etag"), etag);
  EXPECT_EQ(cache_->loads(), loads) << "served from memory";
  EXPECT_EQ(Get(std::string("/v1/sdk/") + kPublicId + ".json", {{"If-None-Match", "W/" + etag + ", \"x\""}}).status,
            304);
  EXPECT_EQ(Get(std::string("/v1/sdk/") + kPublicId + ".json", {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(ExperimentsFixture, SdkDocumentIsInvalidatedByAChangeFromAnotherConnection) {
  const auto running = CreateRunning();
  StartServer();
  const std::string target = std::string("/v1/sdk/") + kPublicId + ".json";
  const HttpResult before = Get(target);
  ASSERT_EQ(before.status, 200);
  const auto changed_at = std::chrono::steady_clock::now();
  ExecElsewhere("UPDATE experiments SET allocation = '{\"weights\": [0.25, 0.75], \"coverage\": 1}' WHERE id = '" +
                running.id + "'");
  bool seen = false;
  while (std::chrono::steady_clock::now() - changed_at < std::chrono::seconds(2)) {
    const HttpResult now = Get(target);
    if (now.headers.at("etag") != before.headers.at("etag")) {
      EXPECT_EQ(json::parse(now.body).at("experiments").at(0).at("weights").at(1).as_double(), 0.75) << now.body;
      seen = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(seen) << "the document still had the old weights 2 s after the change";

  // Stopping the experiment empties the document.
  ExecElsewhere("UPDATE experiments SET status = 'paused' WHERE id = '" + running.id + "'");
  bool emptied = false;
  for (int i = 0; i < 100 && !emptied; ++i) {
    emptied = json::parse(Get(target).body).at("experiments").as_array().empty();
    if (!emptied) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(emptied);
}

// An uninstall (or a public id change) reaches every copy of the server through the shops trigger (migration 0013),
// not after the cache's max-age: two servers, each with its own pool, cache and listener, both stop serving it.
TEST_F(ExperimentsFixture, SdkDocumentOfAnUninstalledShopIs404OnEveryServerWithinSeconds) {
  CreateRunning();
  StartServer();
  db::Database other_database(test_database_.conninfo(), 2);
  const experiments::Repository other_repository(other_database);
  experiments::SdkDocumentCache other_cache(other_database, other_repository);
  other_cache.Start();
  TestServer other_server;
  api::RegisterSdkRoutes(other_server.router(), other_database, other_cache);
  other_server.Start();
  for (int i = 0; i < 500 && !other_cache.Listening(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(other_cache.Listening());

  const std::string target = std::string("/v1/sdk/") + kPublicId + ".json";
  auto both_answer = [&](int status) {
    for (int i = 0; i < 250; ++i) {  // up to 5 s
      if (Get(target).status == status && other_server.Get(target).status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  ASSERT_TRUE(both_answer(200));
  const auto loads = cache_->loads();
  ASSERT_EQ(Get(target).status, 200);
  ASSERT_EQ(cache_->loads(), loads) << "cached before the uninstall";

  ExecElsewhere("UPDATE shops SET uninstalled_at = now() WHERE id = '" + shop_id_ + "'");
  EXPECT_TRUE(both_answer(404)) << "an uninstalled shop's document was still served 5 s later";
  const HttpResult gone = Get(target);
  EXPECT_EQ(json::parse(gone.body).at("error").at("code").as_string(), "not_found");

  ExecElsewhere("UPDATE shops SET uninstalled_at = NULL WHERE id = '" + shop_id_ + "'");  // reinstalled
  EXPECT_TRUE(both_answer(200));

  // A new public id: the old URL stops working everywhere, the new one serves the shop.
  ExecElsewhere("UPDATE shops SET public_id = 'shopexperiments02' WHERE id = '" + shop_id_ + "'");
  EXPECT_TRUE(both_answer(404)) << "the old public id was still served 5 s later";
  EXPECT_EQ(other_server.Get("/v1/sdk/shopexperiments02.json").status, 200);

  other_server.Shutdown();
  other_cache.Stop();
  other_database.Shutdown();
}

TEST_F(ExperimentsFixture, SdkDocumentOfAnUnknownShopIs404) {
  StartServer();
  const HttpResult result = Get("/v1/sdk/nosuchshop000.json");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(json::parse(result.body).at("error").at("code").as_string(), "not_found");
}

TEST_F(ExperimentsFixture, AssignGivesTheScriptsAnswerAndIsSticky) {
  const auto experiment = CreateRunning("[0.5, 0.5]");
  StartServer();
  const auto spec = experiments::ToAssignmentSpec(experiment);
  std::map<std::string, std::string> first;
  int treated = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string anon = "visitor-" + std::to_string(i);
    const HttpResult result =
        Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", anon}, {"experiment", experiment.id}});
    ASSERT_EQ(result.status, 200) << result.body;
    const json::object body = json::parse(result.body).as_object();
    const auto expected = experiments::Assign(spec, anon);
    ASSERT_TRUE(expected.has_value());
    EXPECT_EQ(body.at("variation").as_int64(), *expected) << anon;
    EXPECT_TRUE(body.at("in_experiment").as_bool());
    EXPECT_FALSE(body.at("sticky").as_bool());
    first[anon] = std::string(body.at("variant").as_string());
    treated += first[anon] == "treatment";
  }
  EXPECT_GT(treated, 10);
  EXPECT_LT(treated, 50);

  // All new traffic to the treatment: assigned visitors stay where they were.
  database_.Run([&](pqxx::work& tx) {
    ASSERT_TRUE(experiments::UpdateExperiment(tx, repository_, shop_id_, experiment.id,
                                              json::parse(R"({"weights": [0, 1]})"))
                    .ok());
  });
  for (const auto& [anon, variant] : first) {
    const HttpResult result =
        Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", anon}, {"experiment", experiment.id}});
    const json::object body = json::parse(result.body).as_object();
    EXPECT_EQ(body.at("variant").as_string(), variant) << anon;
    EXPECT_TRUE(body.at("sticky").as_bool());
  }
  const HttpResult newcomer =
      Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", "newcomer"}, {"experiment", experiment.id}});
  EXPECT_EQ(json::parse(newcomer.body).at("variant").as_string(), "treatment");

  // A bucket-version bump reshuffles deliberately: everyone is assigned afresh, under the new weights.
  database_.Run([&](pqxx::work& tx) {
    auto bumped = experiments::BumpBucketVersion(tx, repository_, shop_id_, experiment.id);
    ASSERT_TRUE(bumped.ok());
    EXPECT_EQ(bumped->bucket_version, 2);
  });
  for (const auto& [anon, variant] : first) {
    const HttpResult result =
        Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", anon}, {"experiment", experiment.id}});
    const json::object body = json::parse(result.body).as_object();
    EXPECT_EQ(body.at("variant").as_string(), "treatment") << anon;
    EXPECT_FALSE(body.at("sticky").as_bool());
    EXPECT_EQ(body.at("bucket_version").as_int64(), 2);
  }
}

TEST_F(ExperimentsFixture, AssignErrors) {
  const auto experiment = CreateRunning();
  StartServer();
  EXPECT_EQ(Post("/v1/assign", json::object{{"shop", "nosuchshop000"}, {"anon_id", "a"}, {"experiment", experiment.id}})
                .status,
            404);
  EXPECT_EQ(Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", "a"},
                                            {"experiment", "00000000-0000-4000-8000-000000000000"}})
                .status,
            404);
  EXPECT_EQ(Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", "a"}, {"experiment", "not-a-uuid"}}).status,
            404);
  const HttpResult missing = Post("/v1/assign", json::object{{"shop", kPublicId}, {"experiment", experiment.id}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(json::parse(missing.body).at("error").at("details").at("field").as_string(), "anon_id");
  EXPECT_EQ(Post("/v1/assign", json::array{}).status, 400);

  database_.Run([&](pqxx::work& tx) {
    ASSERT_TRUE(experiments::TransitionExperiment(tx, repository_, shop_id_, experiment.id, Status::kPaused).ok());
  });
  const HttpResult paused =
      Post("/v1/assign", json::object{{"shop", kPublicId}, {"anon_id", "a"}, {"experiment", experiment.id}});
  ASSERT_EQ(paused.status, 200);
  EXPECT_FALSE(json::parse(paused.body).at("in_experiment").as_bool());
  EXPECT_EQ(json::parse(paused.body).at("reason").as_string(), "not_running");
}

TEST_F(ExperimentsFixture, StorefrontRoutesAnswerCorsPreflightsAndCarryTheOriginHeader) {
  const auto experiment = CreateRunning();
  StartServer();
  const std::map<std::string, std::string> preflight = {{"Origin", "https://shop.example"},
                                                        {"Access-Control-Request-Method", "POST"},
                                                        {"Access-Control-Request-Headers", "content-type"}};
  for (const auto& [target, method] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/assign", "POST"}, {std::string("/v1/sdk/") + kPublicId + ".json", "GET"}}) {
    HttpClient client(server_->port());
    const HttpResult answer = client.Request("OPTIONS", target, "", preflight);
    EXPECT_EQ(answer.status, 204) << target << ": " << answer.body;
    EXPECT_EQ(answer.headers.at("access-control-allow-origin"), "*") << target;
    EXPECT_NE(answer.headers.at("access-control-allow-methods").find(method), std::string::npos) << target;
    EXPECT_NE(answer.headers.at("access-control-allow-headers").find("Content-Type"), std::string::npos) << target;
    EXPECT_EQ(answer.headers.at("access-control-max-age"), "86400") << target;
  }
  // The actual answers carry the header too, errors included.
  HttpClient client(server_->port());
  const HttpResult assigned =
      client.Request("POST", "/v1/assign",
                     json::serialize(json::object{{"shop", kPublicId}, {"anon_id", "cors"}, {"experiment", experiment.id}}),
                     {{"Content-Type", "application/json"}, {"Origin", "https://shop.example"}});
  EXPECT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(assigned.headers.at("access-control-allow-origin"), "*");
  const HttpResult refused = Post("/v1/assign", json::object{{"shop", kPublicId}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.headers.at("access-control-allow-origin"), "*");
  const HttpResult unknown = Get("/v1/sdk/nosuchshop000.json", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.headers.at("access-control-allow-origin"), "*");
}

TEST_F(ExperimentsFixture, LifecycleCapabilities) {
  const auto experiment = CreateRunning();
  EXPECT_TRUE(experiment.started_at.has_value());
  database_.Run([&](pqxx::work& tx) {
    auto restart = experiments::TransitionExperiment(tx, repository_, shop_id_, experiment.id, Status::kRunning);
    ASSERT_FALSE(restart.ok());
    EXPECT_EQ(restart.error().code, ErrorCode::kConflict);
    auto variants = experiments::UpdateExperiment(tx, repository_, shop_id_, experiment.id,
                                                  json::parse(R"({"variants": [{"key": "a"}, {"key": "b"}]})"));
    ASSERT_FALSE(variants.ok());
    EXPECT_EQ(variants.error().code, ErrorCode::kBadRequest);
    auto stopped = experiments::TransitionExperiment(tx, repository_, shop_id_, experiment.id, Status::kStopped);
    ASSERT_TRUE(stopped.ok());
    EXPECT_TRUE(stopped->ended_at.has_value());
    auto archived = experiments::TransitionExperiment(tx, repository_, shop_id_, experiment.id, Status::kArchived);
    ASSERT_TRUE(archived.ok());
    EXPECT_EQ(archived->status, Status::kArchived);
    // Another shop cannot see it.
    EXPECT_FALSE(experiments::GetExperiment(tx, repository_, "00000000-0000-4000-8000-000000000000", experiment.id).ok());
    EXPECT_EQ(experiments::ListExperiments(tx, repository_, shop_id_).size(), 1u);
  });
}

}  // namespace
}  // namespace pagelift::testing
