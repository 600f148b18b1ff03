// The Admin GraphQL client against a scripted transport: request shape, pacing, retries, token refresh, userErrors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <deque>
#include <string>
#include <vector>

#include "shopify/admin_client.h"
#include "shopify/graphql_documents.h"

namespace pagelift::shopify {
namespace {
namespace json = boost::json;
using std::chrono::milliseconds;

struct Sent {
  std::string url;
  std::vector<HttpHeader> headers;
  json::object body;
  std::string Header(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.name == name) return h.value;
    }
    return "";
  }
};

class ScriptedTransport : public HttpTransport {
 public:
  std::deque<Result<HttpResponse>> replies;
  std::vector<Sent> sent;

  Result<HttpResponse> Post(const std::string& url, const std::vector<HttpHeader>& headers,
                            const std::string& body) override {
    sent.push_back({url, headers, json::parse(body).as_object()});
    if (replies.empty()) return MakeError(ErrorCode::kInternal, "no scripted reply left");
    auto reply = std::move(replies.front());
    replies.pop_front();
    return reply;
  }
  Result<HttpResponse> Download(const std::string&, const std::function<bool(std::string_view)>&) override {
    return MakeError(ErrorCode::kInternal, "not scripted");
  }
};

HttpResponse Reply(long status, const json::value& body, std::vector<HttpHeader> headers = {}) {
  return HttpResponse{status, std::move(headers), json::serialize(body)};
}

json::object Cost(double requested, double available, double maximum = 2000, double restore = 100) {
  return {{"cost", json::object{{"requestedQueryCost", requested},
                                {"actualQueryCost", requested},
                                {"throttleStatus", json::object{{"maximumAvailable", maximum},
                                                                {"currentlyAvailable", available},
                                                                {"restoreRate", restore}}}}}};
}

json::object Data(json::object data, double requested = 10, double available = 1990) {
  return {{"data", std::move(data)}, {"extensions", Cost(requested, available)}};
}

class AdminClientTest : public ::testing::Test {
 protected:
  AdminClientTest() {
    auto transport = std::make_unique<ScriptedTransport>();
    transport_ = transport.get();
    TokenProvider tokens;
    tokens.access_token = [this](const std::string& shop_id) -> Result<std::string> {
      EXPECT_EQ(shop_id, "shop-uuid");
      return token_;
    };
    tokens.refresh = [this](const std::string&, const std::string& rejected) -> Result<std::string> {
      rejected_.push_back(rejected);
      token_ = "fresh-token";
      return token_;
    };
    AdminClientOptions options;
    options.admin_base_url = "http://127.0.0.1:9/sim";
    options.max_attempts = 4;
    options.sleep = [this](milliseconds d) { sleeps_.push_back(d); };
    client_ = std::make_unique<AdminClient>(std::move(transport), std::move(tokens), options);
  }

  const ShopRef shop_{"shop-uuid", "demo.myshopify.com"};
  ScriptedTransport* transport_ = nullptr;
  std::string token_ = "old-token";
  std::vector<std::string> rejected_;
  std::vector<milliseconds> sleeps_;
  std::unique_ptr<AdminClient> client_;
};

TEST_F(AdminClientTest, PostsTheEmbeddedDocumentWithOperationNameAndToken) {
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{{"name", "Demo"}}}})));
  auto data = client_->Execute(shop_, "ShopInfo");
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(data->at("shop").at("name"), "Demo");
  ASSERT_EQ(transport_->sent.size(), 1u);
  const auto& sent = transport_->sent[0];
  EXPECT_EQ(sent.url, "http://127.0.0.1:9/sim/demo.myshopify.com/admin/api/2026-10/graphql.json");
  EXPECT_EQ(sent.Header("X-Shopify-Access-Token"), "old-token");
  EXPECT_EQ(sent.body.at("operationName"), "ShopInfo");
  EXPECT_EQ(sent.body.at("query").as_string(), GraphqlDocument("ShopInfo").value());
  EXPECT_TRUE(sent.body.at("variables").is_object());
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(AdminClientTest, UnknownOperationIsNotFound) {
  auto data = client_->Execute(shop_, "NoSuchOperation");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(transport_->sent.empty());
}

TEST_F(AdminClientTest, Http429WaitsRetryAfterSeconds) {
  transport_->replies.push_back(Reply(429, json::object{}, {{"Retry-After", "2"}}));
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{}}})));
  ASSERT_TRUE(client_->Execute(shop_, "ShopInfo").ok());
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(sleeps_[0], milliseconds(2000));
  EXPECT_EQ(transport_->sent.size(), 2u);
}

TEST_F(AdminClientTest, ServerErrorsAndNetworkFailuresAreRetriedThenGivenUp) {
  transport_->replies.push_back(Reply(502, json::object{}));
  transport_->replies.push_back(MakeError(ErrorCode::kUnavailable, "connect refused"));
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{}}})));
  ASSERT_TRUE(client_->Execute(shop_, "ShopInfo").ok());
  EXPECT_EQ(sleeps_.size(), 2u);

  for (int i = 0; i < 4; ++i) transport_->replies.push_back(Reply(503, json::object{}, {{"Retry-After", "1"}}));
  auto failed = client_->Execute(shop_, "ShopInfo");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().retry_after_seconds, 1);
  EXPECT_EQ(transport_->sent.size(), 3u + 4u);
}

TEST_F(AdminClientTest, ThrottledResponseWaitsForTheBucketToRestore) {
  json::object throttled{{"errors", json::array{json::object{{"message", "Throttled"},
                                                             {"extensions", json::object{{"code", "THROTTLED"}}}}}},
                         {"extensions", Cost(500, 100)}};
  transport_->replies.push_back(Reply(200, throttled));
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{}}}, 500, 1500)));
  ASSERT_TRUE(client_->Execute(shop_, "ShopInfo").ok());
  ASSERT_GE(sleeps_.size(), 1u);
  // 400 points missing at 100/s.
  EXPECT_NEAR(static_cast<double>(sleeps_[0].count()), 4000.0, 50.0);
  EXPECT_DOUBLE_EQ(client_->LearnedCost("ShopInfo"), 500);
}

TEST_F(AdminClientTest, PacesFromThrottleStatusBeforeSending) {
  // The first answer leaves 20 points; the operation costs 220: the next call waits ~2 s instead of being throttled.
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{}}}, 220, 20)));
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{}}}, 220, 0)));
  ASSERT_TRUE(client_->Execute(shop_, "ShopInfo").ok());
  EXPECT_TRUE(sleeps_.empty());
  ASSERT_TRUE(client_->Execute(shop_, "ShopInfo").ok());
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_NEAR(static_cast<double>(sleeps_[0].count()), 2000.0, 50.0);
}

TEST_F(AdminClientTest, Unauthorized401RefreshesOnceAndRetries) {
  transport_->replies.push_back(Reply(401, json::object{}));
  transport_->replies.push_back(Reply(200, Data({{"shop", json::object{}}})));
  ASSERT_TRUE(client_->Execute(shop_, "ShopInfo").ok());
  EXPECT_EQ(rejected_, std::vector<std::string>{"old-token"});
  EXPECT_EQ(transport_->sent[1].Header("X-Shopify-Access-Token"), "fresh-token");

  transport_->replies.push_back(Reply(401, json::object{}));
  transport_->replies.push_back(Reply(401, json::object{}));
  auto refused = client_->Execute(shop_, "ShopInfo");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(rejected_.size(), 2u);  // one refresh per call, not a loop
}

TEST_F(AdminClientTest, UserErrorsAreTypedErrors) {
  json::object bad{{"productUpdate", json::object{{"product", nullptr},
                                                  {"userErrors", json::array{json::object{
                                                                     {"field", json::array{"title"}},
                                                                     {"message", "Title can't be blank"}}}}}}};
  transport_->replies.push_back(Reply(200, Data(bad)));
  auto result = client_->Execute(shop_, "ProductUpdate", {{"product", json::object{{"title", ""}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(result.error().details.at("user_errors").as_array()[0].at("message"), "Title can't be blank");
  EXPECT_TRUE(sleeps_.empty());  // not retried

  json::object busy{{"bulkOperationRunQuery",
                     json::object{{"bulkOperation", nullptr},
                                  {"userErrors", json::array{json::object{
                                                     {"field", nullptr},
                                                     {"message", "A bulk query operation for this app and shop is "
                                                                 "already in progress"}}}}}}};
  transport_->replies.push_back(Reply(200, Data(busy)));
  auto conflict = client_->Execute(shop_, "BulkOperationRunQuery", {{"query", "{ shop { id } }"}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
}

TEST_F(AdminClientTest, GraphqlErrorsOtherThanThrottlingAreBadRequests) {
  transport_->replies.push_back(
      Reply(200, json::object{{"errors", json::array{json::object{{"message", "Field 'x' doesn't exist"}}}}}));
  auto result = client_->Execute(shop_, "ShopInfo");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(transport_->sent.size(), 1u);
}

TEST_F(AdminClientTest, PaginatesWithCursors) {
  auto page = [](json::array nodes, bool more, const char* cursor) {
    return Reply(200, Data({{"products", json::object{{"pageInfo", json::object{{"hasNextPage", more},
                                                                                 {"endCursor", cursor}}},
                                                      {"nodes", std::move(nodes)}}}}));
  };
  transport_->replies.push_back(page({json::object{{"id", "1"}}, json::object{{"id", "2"}}}, true, "c1"));
  transport_->replies.push_back(page({json::object{{"id", "3"}}}, false, "c2"));
  std::vector<std::string> ids;
  auto done = client_->Paginate(shop_, "ProductsPage", {}, {"products"}, [&](const json::array& nodes) -> Result<void> {
    for (const auto& n : nodes) ids.emplace_back(n.at("id").as_string());
    return {};
  }, 2);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(transport_->sent[0].body.at("variables").at("first"), 2);
  EXPECT_FALSE(transport_->sent[0].body.at("variables").as_object().contains("after"));
  EXPECT_EQ(transport_->sent[1].body.at("variables").at("after"), "c1");
}

TEST(UserErrors, CollectsFromEveryMutationField) {
  const auto data = json::parse(R"({"a": {"userErrors": [{"message": "x"}]}, "b": {"userErrors": []}, "c": 1})");
  EXPECT_EQ(CollectUserErrors(data).size(), 1u);
  EXPECT_TRUE(CollectUserErrors(json::parse(R"({"shop": {"id": "1"}})")).empty());
}

}  // namespace
}  // namespace pagelift::shopify
