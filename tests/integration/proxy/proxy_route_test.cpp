// The app proxy routes over real HTTP against a migrated test database: what Shopify's app proxy forwards from
// https://{shop}/apps/pagelift/v1/collect (POST /proxy/v1/collect), /v1/sdk (GET /proxy/v1/sdk) and /v1/assign
// (POST /proxy/v1/assign). A correctly signed query stores the batch for the query's shop; an unsigned, tampered,
// stale or wrongly keyed one is a 401 and stores nothing; the body cannot name another shop.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "api/collect.h"
#include "api/proxy.h"
#include "experiments/lifecycle.h"
#include "experiments/repository.h"
#include "experiments/sdk_document.h"
#include "integration/collect/collect_harness.h"
#include "shopify/signatures.h"
#include "support/admin_session.h"
#include "support/test_database.h"
#include "support/test_server.h"

namespace pagelift::testing {
namespace {

constexpr const char* kSecret = "proxy-secret-new";
constexpr const char* kOldSecret = "proxy-secret-old";
constexpr const char* kShopDomain = "a.myshopify.com";  // InsertShop's domain

shopify::QueryParams ProxyParams(const std::string& shop = kShopDomain,
                                 std::chrono::seconds timestamp_offset = std::chrono::seconds(0)) {
  return AppProxyParams(shop, timestamp_offset);
}

class ProxyRouteTest : public ::testing::Test {
 protected:
  ProxyRouteTest()
      : database_(tdb_.conninfo(), db::DatabaseOptions{}), repository_(database_), sdk_cache_(database_, repository_) {}

  void SetUp() override {
    InsertShop(database_);
    InsertBareShop(database_, "b.myshopify.com", "otherpublic001");
    collector_.emplace(database_);
    api::RegisterCollectRoutes(server_.router(), *collector_);
    api::RegisterProxyRoutes(server_.router(), database_, *collector_, sdk_cache_, repository_, {kSecret, kOldSecret});
    http::ServerOptions options;
    options.translate_exception = TranslateUnavailable;
    server_.Start(std::move(options));
  }

  void TearDown() override {
    server_.Shutdown();
    collector_->Stop();
  }

  // What the app proxy forwards: the storefront's body as text/plain, the signed query after `path`.
  HttpResult PostSigned(const std::string& path, const std::string& query, const std::string& body) {
    return server_.Request("POST", path + (query.empty() ? "" : "?" + query), body, {{"Content-Type", "text/plain"}});
  }
  HttpResult PostProxy(const std::string& query, const std::string& body) {
    return PostSigned("/proxy/v1/collect", query, body);
  }

  long long Count(const std::string& sql) {
    return database_.Run([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
  }

  HttpResult PostAssign(const std::string& query, const std::string& body) {
    return PostSigned("/proxy/v1/assign", query, body);
  }

  HttpResult GetProxy(const std::string& path, const std::string& query) {
    return server_.Get(path + (query.empty() ? "" : "?" + query));
  }

  TestDatabase tdb_;
  db::Database database_;
  experiments::Repository repository_;
  experiments::SdkDocumentCache sdk_cache_;
  std::optional<collect::Collector> collector_;
  TestServer server_;
};

TEST_F(ProxyRouteTest, SignedRequestStoresTheBatchForTheQuerysShop) {
  const std::string batch = Body(Events(1, 3));
  const auto result = PostProxy(shopify::SignAppProxyQuery(ProxyParams(), kSecret), batch);
  ASSERT_EQ(result.status, 200) << result.body;
  const auto body = Parse(result);
  EXPECT_EQ(body.at("accepted"), 3);
  EXPECT_EQ(body.at("duplicates"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events e JOIN shops s ON s.id = e.shop_id "
                  "WHERE s.domain = 'a.myshopify.com'"),
            3);

  // Redelivery through the proxy is recognised as duplicates, exactly as on /v1/collect.
  const auto again = PostProxy(shopify::SignAppProxyQuery(ProxyParams(), kSecret), batch);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse(again).at("duplicates"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 3);
}

TEST_F(ProxyRouteTest, ShopMayBeOmittedFromTheBodyAndOlderSecretsStillVerify) {
  const std::string body = json::serialize(json::object{{"events", Events(10, 2)}});
  const auto result = PostProxy(shopify::SignAppProxyQuery(ProxyParams(), kOldSecret), body);
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(Parse(result).at("accepted"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
}

TEST_F(ProxyRouteTest, UnsignedRequestIs401) {
  const auto params = ProxyParams();
  std::string query;
  for (const auto& [key, value] : params) {
    query += (query.empty() ? "" : "&") + key + "=" + shopify::EncodeQueryComponent(value);
  }
  for (const std::string& q : {query, std::string()}) {
    const auto result = PostProxy(q, Body(Events(1, 1)));
    EXPECT_EQ(result.status, 401) << q << " " << result.body;
    EXPECT_EQ(Parse(result).at("error").at("code"), "unauthorized") << result.body;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(ProxyRouteTest, TamperedOrWronglyKeyedRequestIs401) {
  // The shop swapped after signing: the signature no longer matches.
  const std::string signed_query = shopify::SignAppProxyQuery(ProxyParams(), kSecret);
  const size_t at = signed_query.find("a.myshopify.com");
  ASSERT_NE(at, std::string::npos) << signed_query;
  const std::string tampered = signed_query.substr(0, at) + "b" + signed_query.substr(at + 1);
  EXPECT_EQ(PostProxy(tampered, Body(Events(1, 1), "otherpublic001")).status, 401);

  EXPECT_EQ(PostProxy(shopify::SignAppProxyQuery(ProxyParams(), "not-our-secret"), Body(Events(2, 1))).status, 401);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(ProxyRouteTest, StaleTimestampIs401) {
  const auto stale = PostProxy(shopify::SignAppProxyQuery(ProxyParams(kShopDomain, -std::chrono::minutes(10)), kSecret),
                               Body(Events(1, 1)));
  EXPECT_EQ(stale.status, 401) << stale.body;
  const auto future = PostProxy(shopify::SignAppProxyQuery(ProxyParams(kShopDomain, std::chrono::minutes(10)), kSecret),
                                Body(Events(2, 1)));
  EXPECT_EQ(future.status, 401) << future.body;
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(ProxyRouteTest, BodyNamingAnotherShopIs403) {
  const auto result =
      PostProxy(shopify::SignAppProxyQuery(ProxyParams(), kSecret), Body(Events(1, 1), "otherpublic001"));
  EXPECT_EQ(result.status, 403) << result.body;
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(ProxyRouteTest, SignedRequestForAShopThatIsNotInstalledIs403) {
  const auto result =
      PostProxy(shopify::SignAppProxyQuery(ProxyParams("unknown.myshopify.com"), kSecret), Body(Events(1, 1)));
  EXPECT_EQ(result.status, 403) << result.body;
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
}

TEST_F(ProxyRouteTest, SdkDocumentOfTheVerifiedShop) {
  const std::string query = shopify::SignAppProxyQuery(ProxyParams(), kSecret);
  const auto bare = GetProxy("/proxy/v1/sdk", query);
  ASSERT_EQ(bare.status, 200) << bare.body;
  const auto document = json::parse(bare.body).as_object();
  EXPECT_EQ(document.at("shop"), kShopPublicId);
  EXPECT_TRUE(document.at("experiments").is_array());
  EXPECT_FALSE(bare.headers.at("etag").empty());

  // The script's own path (its shop's public id) gives the same document; the ETag still works through the proxy.
  const auto named = GetProxy(std::string("/proxy/v1/sdk/") + kShopPublicId + ".json", query);
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.body, bare.body);
  HttpClient client(server_->port());
  const auto cached = client.Get("/proxy/v1/sdk?" + query, {{"If-None-Match", bare.headers.at("etag")}});
  EXPECT_EQ(cached.status, 304) << cached.body;
}

TEST_F(ProxyRouteTest, SdkRefusesUnsignedRequestsAndOtherShops) {
  EXPECT_EQ(GetProxy("/proxy/v1/sdk", "").status, 401);
  EXPECT_EQ(GetProxy("/proxy/v1/sdk", shopify::SignAppProxyQuery(ProxyParams(), "not-our-secret")).status, 401);
  const std::string query = shopify::SignAppProxyQuery(ProxyParams(), kSecret);
  const auto other = GetProxy("/proxy/v1/sdk/otherpublic001.json", query);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(other.body.find("experiments"), std::string::npos);
  EXPECT_EQ(GetProxy("/proxy/v1/sdk", shopify::SignAppProxyQuery(ProxyParams("unknown.myshopify.com"), kSecret)).status,
            403);
}

TEST_F(ProxyRouteTest, AssignsForTheVerifiedShopOnly) {
  const std::string experiment_id = database_.Run([&](pqxx::work& tx) {
    const std::string shop_id =
        tx.exec_params("SELECT id::text FROM shops WHERE public_id = $1", kShopPublicId)[0][0].as<std::string>();
    auto created = experiments::CreateExperiment(tx, repository_, shop_id, json::parse(R"({"name": "Badge",
        "target": "product_page:badge", "variants": [{"key": "control"}, {"key": "badge"}], "weights": [0.5, 0.5]})"));
    EXPECT_TRUE(created.ok()) << created.error().message;
    auto started = experiments::TransitionExperiment(tx, repository_, shop_id, created->id,
                                                     experiments::Status::kRunning);
    EXPECT_TRUE(started.ok()) << started.error().message;
    return created->id;
  });
  const std::string query = shopify::SignAppProxyQuery(ProxyParams(), kSecret);
  const std::string body = R"({"anon_id": "visitor-1", "experiment": ")" + experiment_id + R"("})";

  // The body need not name the shop: the signed query does. The answer is sticky and stored.
  const auto first = PostAssign(query, body);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto answer = json::parse(first.body).as_object();
  EXPECT_EQ(answer.at("experiment").as_string(), experiment_id);
  EXPECT_TRUE(answer.at("in_experiment").as_bool());
  const auto again = json::parse(PostAssign(query, body).body).as_object();
  EXPECT_EQ(again.at("variant"), answer.at("variant"));
  EXPECT_TRUE(again.at("sticky").as_bool()) << "the second answer comes from the stored assignment";
  EXPECT_EQ(Count("SELECT count(*) FROM assignments WHERE anon_id = 'visitor-1'"), 1);

  // Naming the verified shop is fine; naming another is 403; no signature is 401; nothing else is stored.
  const std::string named = R"({"shop": ")" + std::string(kShopPublicId) +
                            R"(", "anon_id": "visitor-1", "experiment": ")" + experiment_id + R"("})";
  EXPECT_EQ(PostAssign(query, named).status, 200);
  const std::string other = R"({"shop": "otherpublic001", "anon_id": "visitor-2", "experiment": ")" + experiment_id +
                            R"("})";
  EXPECT_EQ(PostAssign(query, other).status, 403);
  EXPECT_EQ(PostAssign("", body).status, 401);
  EXPECT_EQ(PostAssign(shopify::SignAppProxyQuery(ProxyParams(), "not-our-secret"), body).status, 401);
  EXPECT_EQ(Count("SELECT count(*) FROM assignments"), 1);
}

}  // namespace
}  // namespace pagelift::testing
