// Experiments end to end on the real binary: experiments are created and started through /api/experiments (session
// token), the traffic simulator (tools/traffic-sim) reads /v1/sdk, assigns visitors as pagelift.js does and sends
// their events through /v1/collect in batches of up to 500; orders go through the orders/paid webhook's code path
// (OrderFromRest + OrdersRepository::Upsert, the visitor id in note_attributes). The aggregation is run on demand
// (RunAggregationPass on the same database, instead of waiting for the server's once-a-minute pass), then the results
// endpoint must find what was planted:
//   - a +50 % lift on purchases → the treatment wins and ships, the visitor and buyer counts are exact;
//   - mobile regresses while desktop wins, with "no rollout if mobile regresses" → the guarded segment loses and the
//     decision is roll back, although the overall lift is positive;
//   - a broken allocation (30 % of the treatment's exposures lost) → SRM detected, no decision.
#include <signal.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "core/crypto.h"
#include "db/database.h"
#include "experiments/aggregation.h"
#include "shopify/oauth.h"
#include "shopify/orders_repository.h"
#include "shopify/session_token.h"
#include "support/http_client.h"
#include "support/service_process.h"
#include "support/test_database.h"
#include "traffic-sim/traffic_sim.h"

namespace pagelift::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kDomain = "traffic.myshopify.com";

class ExperimentsTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    env_ = ServeEnv(test_database_.conninfo(), port_);
    database_.emplace(test_database_.conninfo(), 2);
    const auto keys = crypto::KeyRing::Parse(env_.at("PAGELIFT_TOKEN_KEYS"));
    ASSERT_TRUE(keys.ok());
    shopify::ShopTokens tokens;
    tokens.access_token = "offline-token";
    tokens.scope = "read_products";
    const auto shop = database_->Run([&](pqxx::work& tx) {
      return shopify::InstallShop(tx, *keys, kDomain, tokens,
                                  std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()))
          .shop;
    });
    shop_id_ = shop.id;
    public_id_ = shop.public_id;
    // The install follow-ups (webhook subscriptions, sync) would call Shopify, which is not part of this test.
    database_->Run([&](pqxx::work& tx) { tx.exec("DELETE FROM jobs"); });
    service_.emplace(std::vector<std::string>{"serve"}, env_);
    service_->Start();
    ASSERT_TRUE(service_->WaitForHttp(port_, "/readyz", 200, 30s)) << service_->Output();
  }
  void TearDown() override {
    if (service_) {
      service_->Signal(SIGTERM);
      service_->Wait(10s);
    }
    if (database_) database_->Shutdown();
  }

  HttpResult Api(const std::string& method, const std::string& target, const std::string& body = "") {
    shopify::SessionTokenClaims claims;
    claims.shop = kDomain;
    claims.api_key = env_.at("SHOPIFY_API_KEY");
    claims.issued_at = Clock::now();
    std::map<std::string, std::string> headers = {
        {"Authorization", "Bearer " + shopify::SignSessionToken(shopify::MakeSessionTokenClaims(claims),
                                                                env_.at("SHOPIFY_API_SECRET"))}};
    if (!body.empty()) headers["Content-Type"] = "application/json";
    HttpClient client(port_);
    return client.Request(method, target, body, headers);
  }

  // Creates and starts an experiment through the API; returns its id.
  std::string CreateAndStart(const std::string& definition) {
    const HttpResult created = Api("POST", "/api/experiments", definition);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string id(json::parse(created.body).at("experiment").at("id").as_string());
    const HttpResult started = Api("POST", "/api/experiments/" + id + "/start");
    EXPECT_EQ(started.status, 200) << started.body;
    return id;
  }

  // The experiment as the storefront sees it in /v1/sdk (waits for the server's cache to pick up the start).
  std::optional<traffic_sim::SdkExperiment> SdkExperimentOf(const std::string& id) {
    traffic_sim::HttpTransport http(port_);
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto document = traffic_sim::FetchSdkDocument(http, public_id_);
      if (document) {
        for (auto& e : *document) {
          if (e.key == id) return e;
        }
      }
      std::this_thread::sleep_for(25ms);
    }
    return std::nullopt;
  }

  // Drives the scenario's visitors through the server; orders through the orders/paid webhook's code path.
  traffic_sim::Truth Drive(const traffic_sim::Scenario& scenario, const traffic_sim::SdkExperiment& experiment) {
    const auto traffic = traffic_sim::Generate(scenario, public_id_, experiment,
                                               std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()));
    traffic_sim::HttpTransport http(port_);
    const auto sent = traffic_sim::SendEvents(http, traffic);
    EXPECT_TRUE(sent.failures.empty()) << sent.failures.front();
    EXPECT_EQ(sent.events, traffic.events);
    std::vector<shopify::OrderRecord> orders;
    for (const auto& payload : traffic.orders) {
      auto order = shopify::OrderFromRest(payload);
      EXPECT_TRUE(order.ok()) << json::serialize(payload);
      if (order) orders.push_back(std::move(*order));
    }
    const shopify::OrdersRepository repository(*database_);
    database_->Run([&](pqxx::work& tx) { repository.Upsert(tx, shop_id_, orders); });
    return traffic.truth;
  }

  json::object Results(const std::string& id) {
    const HttpResult results = Api("GET", "/api/experiments/" + id + "/results");
    EXPECT_EQ(results.status, 200) << results.body;
    return json::parse(results.body).as_object();
  }

  static const json::object* Cell(const json::object& results, const std::string& metric, const std::string& segment) {
    for (const auto& cell : results.at("metrics").as_array()) {
      if (cell.at("metric").as_string() == metric && cell.at("segment").as_string() == segment) {
        return &cell.as_object();
      }
    }
    return nullptr;
  }

  static std::vector<std::string> ReasonCodes(const json::object& results) {
    std::vector<std::string> codes;
    for (const auto& d : results.at("decisions").as_array()) {
      for (const auto& r : d.at("reasons").as_array()) codes.emplace_back(r.at("code").as_string());
    }
    return codes;
  }

  TestDatabase test_database_;
  std::optional<db::Database> database_;
  std::map<std::string, std::string> env_;
  unsigned short port_ = 0;
  std::string shop_id_;
  std::string public_id_;
  std::optional<ServiceProcess> service_;
};

// A fixed hash seed per experiment: assignment depends on it (the default is the experiment's random id), so the
// fixed RNG seed of each scenario makes the whole run, and so every figure below, the same on every run.
std::string Definition(const std::string& name, const std::string& extra = "") {
  return R"({"name": ")" + name + R"(", "seed": "e2e-)" + name.substr(0, name.find(' ')) + R"(", "target": "product_page:cta",
    "variants": [{"key": "control"}, {"key": "treatment", "config": {"text": "Buy now"}}], "weights": [0.5, 0.5],
    "primary_metric": "purchase_rate")" +
         extra + "}";
}

TEST_F(ExperimentsTrafficTest, ResultsFindThePlantedEffectsAndTheDecisionsFollowTheGuardrails) {
  const std::string lift_id = CreateAndStart(Definition("planted lift"));
  const std::string mobile_id = CreateAndStart(Definition(
      "mobile regresses", R"(, "guardrails": {"segment_guards": [{"segment": "device:mobile", "metric": "purchase_rate"}]})"));
  const std::string srm_id = CreateAndStart(Definition("broken allocation"));

  traffic_sim::Scenario lift;
  lift.seed = 11;
  lift.visitors = 5000;
  lift.lift = 0.5;  // 10 % → 15 %
  traffic_sim::Scenario mobile;
  mobile.seed = 12;
  mobile.visitors = 4000;
  mobile.devices = {{"mobile", 0.4}, {"desktop", 0.6}};  // overall 10 % → 13.6 %
  mobile.device_lift = {{"mobile", -0.6}, {"desktop", 1.0}};  // mobile 10 % → 4 %, desktop 10 % → 20 %
  mobile.channel = traffic_sim::PurchaseChannel::kEvents;     // the checkout_completed fallback
  traffic_sim::Scenario srm;
  srm.seed = 13;
  srm.visitors = 4000;
  srm.lost_exposure_share = 0.3;

  std::map<std::string, traffic_sim::Truth> truths;
  for (const auto& [id, scenario] : std::vector<std::pair<std::string, traffic_sim::Scenario>>{
           {lift_id, lift}, {mobile_id, mobile}, {srm_id, srm}}) {
    const auto experiment = SdkExperimentOf(id);
    ASSERT_TRUE(experiment.has_value()) << "the started experiment never reached /v1/sdk";
    truths[id] = Drive(scenario, *experiment);
  }

  // The server's pass runs once a minute; the test runs the same pass now, on the same database.
  experiments::AggregationOptions options;
  options.lateness = std::chrono::seconds(0);
  const auto reports = experiments::RunAggregationPass(*database_, options);
  ASSERT_EQ(reports.size(), 3u);

  {  // The planted lift: exact counts, the lift found, and the treatment ships.
    const auto results = Results(lift_id);
    const auto& truth = truths[lift_id];
    const auto& variants = results.at("variants").as_array();
    EXPECT_EQ(variants.at(0).at("visitors").as_int64(), truth.exposed.at("control"));
    EXPECT_EQ(variants.at(1).at("visitors").as_int64(), truth.exposed.at("treatment"));
    const json::object* primary = Cell(results, "purchase_rate", "");
    ASSERT_NE(primary, nullptr);
    EXPECT_EQ(primary->at("variants").at(0).at("sum").as_double(), truth.purchasers.at("control"));
    EXPECT_EQ(primary->at("variants").at(1).at("sum").as_double(), truth.purchasers.at("treatment"));
    const json::object& found = primary->at("variants").at(1).at("lift").as_object();
    const double lo = found.at("ci").at(0).as_double();
    const double hi = found.at("ci").at(1).as_double();
    EXPECT_LT(lo, 0.5) << "the planted +50 % lies in the interval";
    EXPECT_GT(hi, 0.5);
    EXPECT_GT(lo, 0.0);
    EXPECT_GT(found.at("chance_to_win").as_double(), 0.95);
    EXPECT_EQ(results.at("decision").as_string(), "ship") << json::serialize(results.at("decisions"));
    EXPECT_GT(results.at("srm_p_value").as_double(), 0.001);
    const auto& days = results.at("daily").at("days").as_array();
    EXPECT_GE(days.size(), 3u) << "visitors arrived over three days";
    std::int64_t last_day_visitors = 0;
    for (const auto& v : days.back().at("variants").as_array()) last_day_visitors += v.at("visitors").as_int64();
    EXPECT_EQ(last_day_visitors, truth.exposed.at("control") + truth.exposed.at("treatment"));
  }
  {  // Mobile regresses while desktop wins: overall positive, the guarded segment loses → roll back.
    const auto results = Results(mobile_id);
    const json::object* overall = Cell(results, "purchase_rate", "");
    const json::object* phones = Cell(results, "purchase_rate", "device:mobile");
    const json::object* desktops = Cell(results, "purchase_rate", "device:desktop");
    ASSERT_TRUE(overall && phones && desktops);
    EXPECT_GT(overall->at("variants").at(1).at("lift").at("expected").as_double(), 0.0);
    EXPECT_LT(phones->at("variants").at(1).at("lift").at("chance_to_win").as_double(), 0.05);
    EXPECT_GT(desktops->at("variants").at(1).at("lift").at("chance_to_win").as_double(), 0.95);
    const auto& truth = truths[mobile_id];
    EXPECT_EQ(phones->at("variants").at(1).at("n").as_int64(), truth.by_device.at({"treatment", "mobile"}).first);
    EXPECT_EQ(phones->at("variants").at(1).at("sum").as_double(), truth.by_device.at({"treatment", "mobile"}).second);
    EXPECT_EQ(results.at("decision").as_string(), "roll_back");
    const auto codes = ReasonCodes(results);
    EXPECT_NE(std::find(codes.begin(), codes.end(), "guardrail_losing"), codes.end());
    EXPECT_NE(json::serialize(results.at("decisions")).find("device:mobile"), std::string::npos);
  }
  {  // A broken allocation: SRM detected, no decision taken on it.
    const auto results = Results(srm_id);
    EXPECT_LT(results.at("srm_p_value").as_double(), 0.001);
    EXPECT_EQ(results.at("decision").as_string(), "keep_running");
    const auto codes = ReasonCodes(results);
    EXPECT_NE(std::find(codes.begin(), codes.end(), "srm"), codes.end());
    const auto& truth = truths[srm_id];
    EXPECT_LT(truth.exposed.at("treatment"), truth.assigned.at("treatment")) << "the scenario lost exposures";
  }

  // Sending the same traffic again (client retries) changes nothing.
  const auto before = Results(lift_id);
  {
    const auto experiment = SdkExperimentOf(lift_id);
    ASSERT_TRUE(experiment.has_value());
    Drive(lift, *experiment);
  }
  experiments::RunAggregationPass(*database_, options);
  const auto after = Results(lift_id);
  EXPECT_EQ(json::serialize(after.at("metrics")), json::serialize(before.at("metrics")));
}

}  // namespace
}  // namespace pagelift::testing
