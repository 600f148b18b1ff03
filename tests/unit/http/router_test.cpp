#include "http/router.h"

#include <gtest/gtest.h>

namespace pagelift::http {
namespace {

Handler Named(int) {
  return [](Request&, RequestContext&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

class RouterTest : public testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Verb::get, "/healthz", Named(1));
    router_.Add(Verb::get, "/v1/sdk/{shop_public_id}.json", Named(2));
    router_.Add(Verb::post, "/api/experiments/{id}/start", Named(3));
    router_.Add(Verb::get, "/api/experiments/{id}", Named(4));
    router_.Add(Verb::delete_, "/api/experiments/{id}", Named(5));
    RouteOptions large;
    large.max_body_bytes = 1 << 20;
    router_.Add(Verb::get, "/app/*", Named(6), large);
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoutes) {
  auto found = router_.Find(Verb::get, "/healthz");
  ASSERT_TRUE(std::holds_alternative<Match>(found));
  EXPECT_EQ(std::get<Match>(found).route->pattern, "/healthz");
}

TEST_F(RouterTest, ExtractsParametersWithSuffix) {
  auto found = router_.Find(Verb::get, "/v1/sdk/abc123.json");
  ASSERT_TRUE(std::holds_alternative<Match>(found));
  EXPECT_EQ(std::get<Match>(found).params.at("shop_public_id"), "abc123");
  EXPECT_TRUE(std::holds_alternative<NoRoute>(router_.Find(Verb::get, "/v1/sdk/abc123.xml")));
  EXPECT_TRUE(std::holds_alternative<NoRoute>(router_.Find(Verb::get, "/v1/sdk/.json")));
}

TEST_F(RouterTest, WrongMethodListsAllowed) {
  auto found = router_.Find(Verb::put, "/api/experiments/7");
  ASSERT_TRUE(std::holds_alternative<WrongMethod>(found));
  EXPECT_EQ(std::get<WrongMethod>(found).allow, "GET, HEAD, DELETE");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  auto found = router_.Find(Verb::head, "/healthz");
  ASSERT_TRUE(std::holds_alternative<Match>(found));
  EXPECT_EQ(std::get<Match>(found).route->method, Verb::get);
}

TEST_F(RouterTest, UnknownPathsAndExtraSegments) {
  EXPECT_TRUE(std::holds_alternative<NoRoute>(router_.Find(Verb::get, "/nope")));
  EXPECT_TRUE(std::holds_alternative<NoRoute>(router_.Find(Verb::get, "/healthz/extra")));
  EXPECT_TRUE(std::holds_alternative<NoRoute>(router_.Find(Verb::post, "/api/experiments/7/start/now")));
}

TEST_F(RouterTest, RestWildcard) {
  auto found = router_.Find(Verb::get, "/app/assets/main.js");
  ASSERT_TRUE(std::holds_alternative<Match>(found));
  EXPECT_EQ(std::get<Match>(found).params.at("*"), "assets/main.js");
  EXPECT_EQ(router_.MaxBodyBytes(), 1u << 20);
}

TEST(Router, RejectsBadPatterns) {
  Router router;
  EXPECT_THROW(router.Add(Verb::get, "healthz", Named(0)), std::invalid_argument);
  EXPECT_THROW(router.Add(Verb::get, "/a/*/b", Named(0)), std::invalid_argument);
  EXPECT_THROW(router.Add(Verb::get, "/a/{}", Named(0)), std::invalid_argument);
}

}  // namespace
}  // namespace pagelift::http
