// OAuth against the simulator: signed redirects, single-use codes, token exchange, refresh rotation, and the Admin
// API's token check.
#include <boost/url.hpp>

#include "integration/sim/sim_harness.h"
#include "shopify/session_token.h"
#include "shopify/shop_domain.h"
#include "shopify/signatures.h"

namespace pagelift::shopify_sim::testing {
namespace {

namespace json = boost::json;

const std::string kAuthorize = "/" + std::string(kShop) + "/admin/oauth/authorize";
const std::string kTokenPath = "/" + std::string(kShop) + "/admin/oauth/access_token";

class OAuthTest : public SimTest {
 protected:
  // Runs the authorize step and returns the code from the signed redirect.
  std::string Code() {
    const auto response = client_->Get(
        kAuthorize + "?client_id=" + kApiKey +
        "&scope=read_products%2Cwrite_products&redirect_uri=http%3A%2F%2Fapp.test%2Fauth%2Fcallback&state=n0nce&grant_options%5B%5D=");
    EXPECT_EQ(response.status, 302) << response.body;
    const auto url = boost::urls::parse_uri(response.headers.at("location"));
    return std::string((*url->params().find("code")).value);
  }

  json::object Exchange(const std::string& code, int expected_status) {
    const auto response = PostJson(kTokenPath, {{"client_id", kApiKey}, {"client_secret", kSecret}, {"code", code}, {"expiring", "1"}});
    EXPECT_EQ(response.status, expected_status) << response.body;
    return Parse(response.body);
  }

  json::object Refresh(const std::string& refresh_token, int expected_status) {
    const auto response = PostJson(kTokenPath, {{"client_id", kApiKey},
                                                {"client_secret", kSecret},
                                                {"grant_type", "refresh_token"},
                                                {"refresh_token", refresh_token}});
    EXPECT_EQ(response.status, expected_status) << response.body;
    return Parse(response.body);
  }
};

TEST_F(OAuthTest, AuthorizeRedirectIsSignedLikeShopify) {
  const auto response = client_->Get(kAuthorize + "?client_id=" + kApiKey +
                                     "&scope=read_products&redirect_uri=http%3A%2F%2Fapp.test%2Fauth%2Fcallback"
                                     "&state=abc123&grant_options%5B%5D=");
  ASSERT_EQ(response.status, 302) << response.body;
  const std::string location = response.headers.at("location");
  ASSERT_TRUE(location.starts_with("http://app.test/auth/callback?")) << location;
  const std::string query = location.substr(location.find('?') + 1);
  EXPECT_TRUE(shopify::VerifyOAuthQuery(query, {kSecret}));
  EXPECT_FALSE(shopify::VerifyOAuthQuery(query, {"another-secret"}));
  const auto params = shopify::ParseQuery(query);
  ASSERT_TRUE(params);
  std::map<std::string, std::string> values(params->begin(), params->end());
  EXPECT_EQ(values["shop"], kShop);
  EXPECT_EQ(values["state"], "abc123");
  EXPECT_EQ(values["host"], shopify::EncodeHostParam(kShop));
  EXPECT_EQ(values["code"].size(), 32u);
  EXPECT_TRUE(shopify::CheckRequestTimestamp(values["timestamp"], std::chrono::system_clock::now()).ok());
}

TEST_F(OAuthTest, AuthorizeRefusesUnknownAppOrRedirect) {
  EXPECT_EQ(client_->Get(kAuthorize + "?client_id=other&redirect_uri=http%3A%2F%2Fapp.test%2Fauth%2Fcallback").status, 400);
  EXPECT_EQ(client_->Get(kAuthorize + "?client_id=" + kApiKey + "&redirect_uri=http%3A%2F%2Fevil.test%2Fcb").status, 400);
  EXPECT_EQ(client_->Get("/unknown-shop.myshopify.com/admin/oauth/authorize?client_id=" + std::string(kApiKey)).status, 404);
}

TEST_F(OAuthTest, CodeExchangeIsSingleUseAndExpiring) {
  const auto code = Code();
  const auto tokens = Exchange(code, 200);
  EXPECT_TRUE(std::string(tokens.at("access_token").as_string()).starts_with("shpat_"));
  EXPECT_EQ(tokens.at("scope").as_string(), "read_products,write_products");
  EXPECT_EQ(tokens.at("expires_in").as_int64(), 3600);
  EXPECT_TRUE(tokens.contains("refresh_token"));
  EXPECT_GT(tokens.at("refresh_token_expires_in").as_int64(), 3600);
  Exchange(code, 400);  // second use
  Exchange("0123456789abcdef0123456789abcdef", 400);
}

TEST_F(OAuthTest, WrongClientSecretIs401) {
  const auto code = Code();
  const auto response = PostJson(kTokenPath, {{"client_id", kApiKey}, {"client_secret", "nope"}, {"code", code}});
  EXPECT_EQ(response.status, 401);
  Exchange(code, 200);  // the failed attempt did not burn the code
}

TEST_F(OAuthTest, FormEncodedExchangeWorksToo) {
  const auto code = Code();
  const auto response = client_->Request("POST", kTokenPath,
                                         "client_id=" + std::string(kApiKey) + "&client_secret=" + kSecret + "&code=" + code,
                                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_FALSE(Parse(response.body).contains("refresh_token"));  // not expiring: a legacy offline token
}

TEST_F(OAuthTest, TokenExchangeVerifiesTheSessionToken) {
  EXPECT_FALSE(AccessToken().empty());
  shopify::SessionTokenClaims claims;
  claims.shop = kShop;
  claims.api_key = kApiKey;
  claims.issued_at = std::chrono::system_clock::now();
  const auto forged = shopify::SignSessionToken(shopify::MakeSessionTokenClaims(claims), "wrong-secret");
  const auto response = PostJson(kTokenPath, {{"client_id", kApiKey},
                                              {"client_secret", kSecret},
                                              {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                                              {"subject_token", forged},
                                              {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
                                              {"requested_token_type", "urn:shopify:params:oauth:token-type:offline-access-token"},
                                              {"expiring", "1"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Parse(response.body).at("error").as_string(), "invalid_subject_token");
  // A genuine token for another shop is refused as well.
  claims.shop = "other-store.myshopify.com";
  const auto other = shopify::SignSessionToken(shopify::MakeSessionTokenClaims(claims), kSecret);
  const auto response2 = PostJson(kTokenPath, {{"client_id", kApiKey},
                                               {"client_secret", kSecret},
                                               {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                                               {"subject_token", other},
                                               {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}});
  EXPECT_EQ(response2.status, 400);
}

TEST_F(OAuthTest, RefreshRotatesAndRetiresThePreviousTokenOnFirstUseOfTheNew) {
  const auto first = Exchange(Code(), 200);
  const std::string r1(first.at("refresh_token").as_string());
  const auto second = Refresh(r1, 200);
  const std::string r2(second.at("refresh_token").as_string());
  EXPECT_NE(r1, r2);
  EXPECT_NE(first.at("access_token"), second.at("access_token"));
  // r1 stays valid until r2 is used.
  const auto again = Refresh(r1, 200);
  EXPECT_EQ(again.at("expires_in").as_int64(), 3600);
  Refresh(r2, 200);
  EXPECT_EQ(Refresh(r1, 400).at("error").as_string(), "invalid_grant");
  Refresh("shprt_unknown", 400);
}

TEST_F(OAuthTest, AdminApiChecksTheToken) {
  const std::string query = "query ShopInfo { shop { id name } }";
  for (const std::string token : {"", "shpat_bogus"}) {
    const auto response = Graphql(token, "ShopInfo", query);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(Parse(response.body).at("errors").as_string(),
              "[API] Invalid API key or access token (unrecognized login or wrong password)");
  }
  EXPECT_EQ(Graphql(AccessToken(), "ShopInfo", query).status, 200);
}

TEST_F(OAuthTest, ExpiredAccessTokenIs401) {
  ASSERT_EQ(PostJson("/_sim/config", {{"access_token_lifetime_seconds", 1}}).status, 200);
  const auto token = AccessToken();
  EXPECT_EQ(Graphql(token, "ShopInfo", "query ShopInfo { shop { id } }").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Graphql(token, "ShopInfo", "query ShopInfo { shop { id } }").status, 401);
}

}  // namespace
}  // namespace pagelift::shopify_sim::testing
