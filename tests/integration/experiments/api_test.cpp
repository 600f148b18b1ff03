// /api/experiments over real HTTP behind session-token auth: every route (create, list, get, patch, the lifecycle
// actions, results), 400 naming the field for each invalid definition issue #5 lists, 409 for forbidden transitions,
// and the cross-shop rule: shop A's session token never reads or changes shop B's experiments (404, nothing touched).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "api/experiments.h"
#include "db/database.h"
#include "experiments/repository.h"
#include "support/admin_session.h"
#include "support/http_client.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {
namespace {

namespace json = boost::json;

constexpr const char* kApiSecret = "experiments-secret";
constexpr const char* kApiKeyName = "experiments-key";
constexpr const char* kShopA = "alpha.myshopify.com";
constexpr const char* kShopB = "beta.myshopify.com";

constexpr const char* kValidBody = R"({"name": "CTA copy", "target": "product_page:cta",
  "variants": [{"key": "control"}, {"key": "buy_now", "config": {"text": "Buy now"}}],
  "weights": [0.5, 0.5], "primary_metric": "purchase_rate", "guardrail_metrics": ["revenue_per_visitor"],
  "guardrails": {"min_sample": 100, "max_duration_days": 30,
                 "segment_guards": [{"segment": "device:mobile", "metric": "purchase_rate"}]}})";

class ExperimentsApiTest : public ::testing::Test {
 protected:
  ExperimentsApiTest()
      : database_(test_database_.conninfo(), 4),
        admin_(database_, TestApp(kApiKeyName, kApiSecret)),
        repository_(database_) {
    for (const char* shop : {kShopA, kShopB}) admin_.Install(shop);
    api::RegisterExperimentRoutes(server_.router(), admin_.deps(), repository_);
    server_.Start();
  }
  ~ExperimentsApiTest() override {
    server_.Shutdown();
    database_.Shutdown();
  }

  HttpResult Call(const std::string& shop, const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return admin_.Call(server_.port(), shop, method, target, body);
  }

  // Creates a draft for `shop` and returns its id.
  std::string Create(const std::string& shop, const std::string& body = kValidBody) {
    const HttpResult created = Call(shop, "POST", "/api/experiments", body);
    EXPECT_EQ(created.status, 201) << created.body;
    return std::string(json::parse(created.body).at("experiment").at("id").as_string());
  }

  // The stored row as text, to prove a refused request left it untouched.
  std::string StoredRow(const std::string& id) {
    return database_.Run([&](pqxx::work& tx) {
      return tx
          .exec_params("SELECT row_to_json(e)::text FROM experiments e WHERE id = $1::uuid", id)[0][0]
          .as<std::string>();
    });
  }

  static std::string FieldOf(const HttpResult& result) {
    const json::value body = json::parse(result.body);
    const json::object& details = body.at("error").at("details").as_object();
    return details.contains("field") ? std::string(details.at("field").as_string()) : std::string("<none>");
  }

  TestDatabase test_database_;
  db::Database database_;
  AdminSession admin_;
  experiments::Repository repository_;
  TestServer server_;
};

TEST_F(ExperimentsApiTest, EveryRouteWorksOverHttp) {
  const HttpResult created = Call(kShopA, "POST", "/api/experiments", kValidBody);
  ASSERT_EQ(created.status, 201) << created.body;
  const json::object experiment = json::parse(created.body).at("experiment").as_object();
  const std::string id(experiment.at("id").as_string());
  EXPECT_EQ(experiment.at("status").as_string(), "draft");
  EXPECT_EQ(experiment.at("variants").as_array().size(), 2u);

  const HttpResult list = Call(kShopA, "GET", "/api/experiments");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(json::parse(list.body).at("experiments").as_array().size(), 1u);
  EXPECT_EQ(json::parse(Call(kShopA, "GET", "/api/experiments?status=running").body).at("experiments").as_array().size(),
            0u);
  const HttpResult bad_filter = Call(kShopA, "GET", "/api/experiments?status=sleeping");
  EXPECT_EQ(bad_filter.status, 400);
  EXPECT_EQ(FieldOf(bad_filter), "status");

  const HttpResult got = Call(kShopA, "GET", "/api/experiments/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.headers.count("content-security-policy"), 1u) << "embedded headers on every /api response";
  EXPECT_EQ(json::parse(got.body).at("experiment").at("name").as_string(), "CTA copy");

  const HttpResult renamed = Call(kShopA, "PATCH", "/api/experiments/" + id, R"({"name": "CTA copy v2"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(json::parse(renamed.body).at("experiment").at("name").as_string(), "CTA copy v2");

  const HttpResult started = Call(kShopA, "POST", "/api/experiments/" + id + "/start");
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(json::parse(started.body).at("experiment").at("status").as_string(), "running");
  EXPECT_FALSE(json::parse(started.body).at("experiment").at("started_at").is_null());
  EXPECT_EQ(Call(kShopA, "POST", "/api/experiments/" + id + "/start").status, 409) << "already running";

  const HttpResult reweighted = Call(kShopA, "PATCH", "/api/experiments/" + id, R"({"weights": [0.3, 0.7]})");
  ASSERT_EQ(reweighted.status, 200) << reweighted.body;
  EXPECT_EQ(json::parse(reweighted.body).at("experiment").at("weights").at(1).as_double(), 0.7);

  const HttpResult results = Call(kShopA, "GET", "/api/experiments/" + id + "/results");
  ASSERT_EQ(results.status, 200) << results.body;
  const json::object r = json::parse(results.body).as_object();
  EXPECT_EQ(r.at("variants").as_array().size(), 2u);
  EXPECT_EQ(r.at("decision").as_string(), "keep_running");
  EXPECT_TRUE(r.contains("daily")) << "the chart's time series";

  for (const auto& [action, status] : std::vector<std::pair<std::string, std::string>>{
           {"pause", "paused"}, {"resume", "running"}, {"stop", "stopped"}, {"archive", "archived"}}) {
    const HttpResult changed = Call(kShopA, "POST", "/api/experiments/" + id + "/" + action);
    ASSERT_EQ(changed.status, 200) << action << ": " << changed.body;
    EXPECT_EQ(json::parse(changed.body).at("experiment").at("status").as_string(), status);
  }
  EXPECT_EQ(Call(kShopA, "POST", "/api/experiments/" + id + "/start").status, 409) << "archived is final";
  EXPECT_EQ(Call(kShopA, "PATCH", "/api/experiments/" + id, R"({"name": "x"})").status, 409) << "archived is frozen";
  EXPECT_EQ(Call(kShopA, "POST", "/api/experiments/" + id + "/explode").status, 404);
  EXPECT_EQ(Call(kShopA, "GET", "/api/experiments/not-a-uuid").status, 404);
  EXPECT_EQ(Call(kShopA, "GET", "/api/experiments/00000000-0000-0000-0000-000000000000/results").status, 404);
}

TEST_F(ExperimentsApiTest, InvalidDefinitionsAre400NamingTheField) {
  struct Case {
    const char* what;
    const char* body;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"weights not summing to 1",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}], "weights": [0.3, 0.3]})",
       "weights"},
      {"a weight per variant",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}], "weights": [1]})",
       "weights"},
      {"unknown primary metric",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}], "primary_metric": "bounces"})",
       "primary_metric"},
      {"unknown guardrail metric",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}],
           "guardrail_metrics": ["purchase_rate", "likes"]})",
       "guardrail_metrics[1]"},
      {"unknown metric in a segment guard",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}],
           "guardrails": {"segment_guards": [{"segment": "device:mobile", "metric": "likes"}]}})",
       "guardrails.segment_guards[0].metric"},
      {"no control (one variant)", R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}]})",
       "variants"},
      {"no variants at all", R"({"name": "x", "target": "block:trust"})", "variants"},
      {"duplicate variant keys",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "a"}]})", "variants[1].key"},
      {"no name", R"({"target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}]})", "name"},
      {"bad target", R"({"name": "x", "target": "nowhere", "variants": [{"key": "a"}, {"key": "b"}]})", "target"},
      {"coverage out of range",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}], "coverage": 1.5})",
       "coverage"},
      {"negative min_sample",
       R"({"name": "x", "target": "block:trust", "variants": [{"key": "a"}, {"key": "b"}],
           "guardrails": {"min_sample": -1}})",
       "guardrails.min_sample"},
  };
  for (const Case& c : cases) {
    const HttpResult result = Call(kShopA, "POST", "/api/experiments", c.body);
    EXPECT_EQ(result.status, 400) << c.what << ": " << result.body;
    if (result.status == 400) {
      EXPECT_EQ(FieldOf(result), c.field) << c.what << ": " << result.body;
    }
  }
  const HttpResult not_json = Call(kShopA, "POST", "/api/experiments", "{not json");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(json::parse(Call(kShopA, "GET", "/api/experiments").body).at("experiments").as_array().size(), 0u)
      << "no invalid definition was stored";

  // Changing the variants (or target, or seed) of a running experiment is an invalid definition too.
  const std::string id = Create(kShopA);
  ASSERT_EQ(Call(kShopA, "POST", "/api/experiments/" + id + "/start").status, 200);
  const std::string before = StoredRow(id);
  for (const auto& [patch, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"variants": [{"key": "control"}, {"key": "other"}]})", "variants"},
           {R"({"target": "block:trust"})", "target"},
           {R"({"seed": "reseeded"})", "seed"},
           {R"({"weights": [0.9, 0.2]})", "weights"}}) {
    const HttpResult refused = Call(kShopA, "PATCH", "/api/experiments/" + id, patch);
    EXPECT_EQ(refused.status, 400) << patch << ": " << refused.body;
    if (refused.status == 400) {
      EXPECT_EQ(FieldOf(refused), field) << patch;
    }
  }
  EXPECT_EQ(StoredRow(id), before) << "a refused patch changes nothing";
}

TEST_F(ExperimentsApiTest, AShopsTokenNeverReachesAnotherShopsExperiments) {
  const std::string id_b = Create(kShopB);
  const std::string before = StoredRow(id_b);

  EXPECT_EQ(json::parse(Call(kShopA, "GET", "/api/experiments").body).at("experiments").as_array().size(), 0u);
  EXPECT_EQ(Call(kShopA, "GET", "/api/experiments/" + id_b).status, 404);
  EXPECT_EQ(Call(kShopA, "GET", "/api/experiments/" + id_b + "/results").status, 404);
  EXPECT_EQ(Call(kShopA, "PATCH", "/api/experiments/" + id_b, R"({"name": "hijacked"})").status, 404);
  for (const char* action : {"start", "pause", "stop", "archive", "reshuffle"}) {
    EXPECT_EQ(Call(kShopA, "POST", "/api/experiments/" + id_b + "/" + action).status, 404) << action;
  }
  // Naming the other shop explicitly is refused before anything is read.
  EXPECT_EQ(Call(kShopA, "GET", std::string("/api/experiments?shop=") + kShopB).status, 403);
  EXPECT_EQ(StoredRow(id_b), before) << "shop B's experiment is untouched";
  EXPECT_EQ(json::parse(Call(kShopB, "GET", "/api/experiments/" + id_b).body).at("experiment").at("status").as_string(),
            "draft");

  // Without a session token nothing is answered at all.
  EXPECT_EQ(server_.Get("/api/experiments/" + id_b).status, 401);
}

}  // namespace
}  // namespace pagelift::testing
