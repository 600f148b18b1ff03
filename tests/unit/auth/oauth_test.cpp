// The pure parts of install and authentication: state rules, the authorize URL, token replies, redirects, CSP.
#include <gtest/gtest.h>

#include "api/auth.h"
#include "api/session.h"
#include "shopify/oauth.h"
#include "shopify/shop_domain.h"
#include "shopify/signatures.h"
#include "shopify/webhooks.h"

namespace pagelift::shopify {
namespace {

TimePoint At(long long seconds) { return TimePoint(std::chrono::seconds(seconds)); }

AppCredentials App() {
  AppCredentials app;
  app.api_key = "key123";
  app.secrets = {"hush"};
  app.scopes = "read_products,write_products";
  app.app_url = "https://app.example.com";
  app.api_version = "2026-10";
  return app;
}

TEST(OAuthStateTest, AcceptsTheSameShopBeforeExpiry) {
  EXPECT_TRUE(CheckOAuthState("a.myshopify.com", At(1000), "a.myshopify.com", At(999)).ok());
}

TEST(OAuthStateTest, RefusesExpiredAndOtherShops) {
  auto expired = CheckOAuthState("a.myshopify.com", At(1000), "a.myshopify.com", At(1000));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthorized);
  auto other = CheckOAuthState("a.myshopify.com", At(1000), "b.myshopify.com", At(10));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kUnauthorized);
}

TEST(AuthorizeUrlTest, CarriesEveryParameterEncoded) {
  const auto url = AuthorizeUrl(App(), "a.myshopify.com", "abc");
  EXPECT_EQ(url,
            "https://a.myshopify.com/admin/oauth/authorize?client_id=key123&scope=read_products%2Cwrite_products"
            "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fcallback&state=abc&grant_options%5B%5D=");
  auto app = App();
  app.admin_base_url = "http://127.0.0.1:9000";
  EXPECT_EQ(AuthorizeUrl(app, "a.myshopify.com", "abc").rfind("http://127.0.0.1:9000/a.myshopify.com/admin/oauth/"
                                                              "authorize?",
                                                              0),
            0u);
}

TEST(TokenReplyTest, ParsesExpiringTokens) {
  HttpReply reply{200,
                  R"({"access_token":"shpat_1","scope":"read_products","expires_in":3600,"refresh_token":"shprt_1",)"
                  R"("refresh_token_expires_in":7776000})",
                  {}};
  auto tokens = ParseTokenReply(reply);
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->access_token, "shpat_1");
  EXPECT_EQ(tokens->scope, "read_products");
  EXPECT_EQ(tokens->expires_in, std::chrono::seconds(3600));
  EXPECT_EQ(tokens->refresh_token, "shprt_1");
  EXPECT_EQ(tokens->refresh_token_expires_in, std::chrono::seconds(7776000));
}

TEST(TokenReplyTest, NonExpiringTokenHasNoExpiry) {
  auto tokens = ParseTokenReply(HttpReply{200, R"({"access_token":"shpat_2","scope":"x"})", {}});
  ASSERT_TRUE(tokens.ok());
  EXPECT_FALSE(tokens->expires_in.has_value());
  EXPECT_FALSE(tokens->refresh_token.has_value());
}

TEST(TokenReplyTest, InvalidGrantMeansReauthorize) {
  auto tokens = ParseTokenReply(HttpReply{400, R"({"error":"invalid_grant","error_description":"shprt_secret"})", {}});
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(tokens.error().details.at("oauth_error"), "invalid_grant");
  EXPECT_EQ(tokens.error().details.at("reauthorize"), true);
  EXPECT_EQ(tokens.error().message.find("shprt_secret"), std::string::npos);
}

TEST(TokenReplyTest, ServerErrorsAreUnavailableAndGarbageIsRefused) {
  EXPECT_EQ(ParseTokenReply(HttpReply{503, "", {}}).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ParseTokenReply(HttpReply{429, "{}", {}}).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ParseTokenReply(HttpReply{200, "not json", {}}).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ParseTokenReply(HttpReply{200, R"({"access_token":""})", {}}).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ParseTokenReply(HttpReply{302, "", {}}).error().code, ErrorCode::kBadRequest);
}

TEST(PostInstallRedirectTest, EmbeddedAdminFromTheValidatedHost) {
  const auto host = EncodeHostParam("a.myshopify.com");
  EXPECT_EQ(api::PostInstallRedirect(App(), "a.myshopify.com", host), "https://admin.shopify.com/store/a/apps/key123");
  // A host for another shop, or garbage, falls back to the shop's own admin: never an attacker's host.
  EXPECT_EQ(api::PostInstallRedirect(App(), "a.myshopify.com", EncodeHostParam("b.myshopify.com")),
            "https://a.myshopify.com/admin/apps/key123");
  EXPECT_EQ(api::PostInstallRedirect(App(), "a.myshopify.com", std::string("ZXZpbC5jb20=")),
            "https://a.myshopify.com/admin/apps/key123");
}

TEST(PostInstallRedirectTest, SimulatorGoesToTheAppItself) {
  auto app = App();
  app.admin_base_url = "http://127.0.0.1:9000";
  EXPECT_EQ(api::PostInstallRedirect(app, "a.myshopify.com", std::nullopt),
            "https://app.example.com/app?shop=a.myshopify.com&host=" +
                EncodeQueryComponent(EncodeHostParam("a.myshopify.com")));
}

TEST(EmbeddedHeadersTest, FrameAncestors) {
  EXPECT_EQ(api::FrameAncestorsPolicy("a.myshopify.com"),
            "frame-ancestors https://a.myshopify.com https://admin.shopify.com");
  EXPECT_EQ(api::FrameAncestorsPolicy(""), "frame-ancestors https://admin.shopify.com");
}

TEST(WebhookTopicsTest, ComplianceTopics) {
  EXPECT_TRUE(IsComplianceTopic("customers/data_request"));
  EXPECT_TRUE(IsComplianceTopic("customers/redact"));
  EXPECT_TRUE(IsComplianceTopic("shop/redact"));
  EXPECT_FALSE(IsComplianceTopic("app/uninstalled"));
  EXPECT_FALSE(IsComplianceTopic("shop/redact "));
}

}  // namespace
}  // namespace pagelift::shopify
