// Install (OAuth code grant), session-token authentication with token exchange, /api/shop and /api/settings with
// cross-shop checks, the token store's serialised refresh, and rotate-keys — against PostgreSQL and a fake Shopify
// token endpoint over real HTTP.
#include <future>
#include <set>
#include <thread>

#include "auth_harness.h"

namespace pagelift::testing {
namespace {

class AuthFlowTest : public AuthHarness {
 protected:
  // Starts an install and returns the state nonce from the redirect.
  std::string StartInstall(const std::string& shop) {
    auto result = Get("/auth/install?shop=" + shop);
    EXPECT_EQ(result.status, 302) << result.body;
    const auto& location = result.headers["location"];
    const auto at = location.find("state=");
    EXPECT_NE(at, std::string::npos) << location;
    return location.substr(at + 6, 64);
  }

  std::string SignedCallback(const std::string& shop, const std::string& state, const std::string& code = "good-code",
                             long long timestamp = 0) {
    if (timestamp == 0) {
      timestamp = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    }
    shopify::QueryParams params = {{"code", code},
                                   {"host", shopify::EncodeHostParam(shop)},
                                   {"shop", shop},
                                   {"state", state},
                                   {"timestamp", std::to_string(timestamp)}};
    return "/auth/callback?" + shopify::SignOAuthQuery(params, kSecret);
  }

  std::string Decrypted(const std::string& domain, shopify::TokenKind kind) {
    auto shop = database_.Run([&](pqxx::work& tx) { return *shopify::FindShopByDomain(tx, domain); });
    const std::string& blob = kind == shopify::TokenKind::kAccess ? shop.access_token_enc : *shop.refresh_token_enc;
    return *shopify::DecryptShopToken(keys_, domain, kind, blob);
  }

  std::map<std::string, std::string> Bearer(const std::string& shop) {
    return {{"Authorization", "Bearer " + SessionToken(shop)}};
  }
};

TEST_F(AuthFlowTest, InstallRefusesInvalidShops) {
  for (const char* shop : {"evil.com", "x.myshopify.com.evil.com", "a.myshopify.com%2Fpath", ""}) {
    auto result = Get(std::string("/auth/install?shop=") + shop);
    EXPECT_EQ(result.status, 400) << shop;
  }
  EXPECT_EQ(Get("/auth/install").status, 400);
  EXPECT_EQ(Count("SELECT count(*) FROM oauth_states"), 0);
}

TEST_F(AuthFlowTest, InstallRedirectsToAuthorizeWithAStoredNonce) {
  auto result = Get("/auth/install?shop=Shop-One.myshopify.com");
  ASSERT_EQ(result.status, 302);
  const auto& location = result.headers["location"];
  EXPECT_EQ(location.rfind(shopify_.base_url() + "/shop-one.myshopify.com/admin/oauth/authorize?client_id=test-key", 0),
            0u)
      << location;
  EXPECT_NE(location.find("redirect_uri=" + shopify::EncodeQueryComponent(app_.app_url + "/auth/callback")),
            std::string::npos);
  EXPECT_NE(location.find("grant_options%5B%5D="), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM oauth_states WHERE shop = 'shop-one.myshopify.com' "
                  "AND expires_at BETWEEN now() + interval '9 minutes' AND now() + interval '11 minutes'"),
            1);
}

TEST_F(AuthFlowTest, CallbackInstallsTheShopWithEncryptedTokens) {
  const std::string shop = "good.myshopify.com";
  const auto state = StartInstall(shop);
  auto result = Get(SignedCallback(shop, state));
  ASSERT_EQ(result.status, 302) << result.body;
  EXPECT_EQ(result.headers["location"], app_.app_url + "/app?shop=good.myshopify.com&host=" +
                                            shopify::EncodeQueryComponent(shopify::EncodeHostParam(shop)));
  // Shopify saw the code grant with expiring tokens.
  EXPECT_EQ(shopify_.calls("authorization_code"), 1);
  EXPECT_EQ(shopify_.last_body().at("expiring"), "1");
  EXPECT_EQ(shopify_.last_body().at("code"), "good-code");
  // Stored encrypted: the bytes are not the token, and decrypt to it.
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE domain = 'good.myshopify.com' "
                  "AND position('access-1'::bytea IN access_token_enc) = 0 "
                  "AND position('refresh-1'::bytea IN refresh_token_enc) = 0 "
                  "AND access_token_expires_at > now() + interval '55 minutes'"),
            1);
  EXPECT_EQ(Decrypted(shop, shopify::TokenKind::kAccess), "access-1");
  EXPECT_EQ(Decrypted(shop, shopify::TokenKind::kRefresh), "refresh-1");
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'shop_installed' AND status = 'queued'"), 1);
  // The state was single use.
  EXPECT_EQ(Get(SignedCallback(shop, state)).status, 401);
  EXPECT_EQ(shopify_.calls("authorization_code"), 1);
}

TEST_F(AuthFlowTest, CallbackRefusals) {
  const std::string shop = "r.myshopify.com";
  // Wrong hmac.
  auto state = StartInstall(shop);
  const auto signed_query = SignedCallback(shop, state);
  const auto code_at = signed_query.find("code=good-code");
  // Concatenation rather than std::string::replace (g++ 12 -O3 false stringop-overflow).
  const auto tampered = signed_query.substr(0, code_at) + "code=evil-code" + signed_query.substr(code_at + 14);
  EXPECT_EQ(Get(tampered).status, 401);
  // Unknown state.
  EXPECT_EQ(Get(SignedCallback(shop, std::string(64, 'a'))).status, 401);
  // State of another shop.
  const auto other_state = StartInstall("other.myshopify.com");
  EXPECT_EQ(Get(SignedCallback(shop, other_state)).status, 401);
  // Stale timestamp.
  state = StartInstall(shop);
  const auto old = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count() - 600;
  EXPECT_EQ(Get(SignedCallback(shop, state, "good-code", old)).status, 401);
  // Expired state.
  state = StartInstall(shop);
  database_.Run([](pqxx::work& tx) { tx.exec("UPDATE oauth_states SET expires_at = now() - interval '1 second'"); });
  EXPECT_EQ(Get(SignedCallback(shop, state)).status, 401);
  // Missing parameters.
  EXPECT_EQ(Get("/auth/callback?shop=r.myshopify.com").status, 400);
  // Code refused by Shopify.
  state = StartInstall(shop);
  auto refused = Get(SignedCallback(shop, state, "bad-code"));
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*) FROM shops"), 0);
}

TEST_F(AuthFlowTest, ReinstallAfterUninstallClearsItAndRunsTheInstallJobAgain) {
  const std::string shop = "again.myshopify.com";
  ASSERT_EQ(Get(SignedCallback(shop, StartInstall(shop))).status, 302);
  DrainJobs();
  ASSERT_EQ(PostWebhook("app/uninstalled", shop, "{}", "w-u").status, 200);
  DrainJobs();
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE uninstalled_at IS NOT NULL"), 1);
  ASSERT_EQ(Get(SignedCallback(shop, StartInstall(shop))).status, 302);
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE uninstalled_at IS NULL"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'shop_installed' AND status = 'queued'"), 1);
  EXPECT_EQ(Decrypted(shop, shopify::TokenKind::kAccess), "access-2");
}

TEST_F(AuthFlowTest, SessionTokenFailuresAre401WithTheRetryHeader) {
  auto none = Get("/api/shop");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["x-shopify-retry-invalid-session-request"], "1");
  EXPECT_EQ(none.headers["content-security-policy"], "frame-ancestors https://admin.shopify.com");
  auto forged = Get("/api/shop", {{"Authorization", "Bearer " + SessionToken("a.myshopify.com", "wrong")}});
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.headers["x-shopify-retry-invalid-session-request"], "1");
  EXPECT_EQ(Count("SELECT count(*) FROM shops"), 0);
  EXPECT_EQ(shopify_.calls("urn:ietf:params:oauth:grant-type:token-exchange"), 0);
}

TEST_F(AuthFlowTest, FirstApiCallOfANewShopExchangesTheSessionToken) {
  const std::string shop = "fresh.myshopify.com";
  auto result = Get("/api/shop", Bearer(shop));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.headers["content-security-policy"],
            "frame-ancestors https://fresh.myshopify.com https://admin.shopify.com");
  auto body = json::parse(result.body);
  EXPECT_EQ(body.at("shop").at("domain"), json::value(shop));
  EXPECT_EQ(body.at("shop").at("settings").at("data_retention_days"), 395);
  EXPECT_EQ(shopify_.calls("urn:ietf:params:oauth:grant-type:token-exchange"), 1);
  const auto exchanged = shopify_.last_body();
  EXPECT_EQ(exchanged.at("requested_token_type"), "urn:shopify:params:oauth:token-type:offline-access-token");
  EXPECT_EQ(exchanged.at("expiring"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE kind = 'shop_installed'"), 1);
  // Later calls reuse the stored token.
  EXPECT_EQ(Get("/api/shop", Bearer(shop)).status, 200);
  EXPECT_EQ(shopify_.calls("urn:ietf:params:oauth:grant-type:token-exchange"), 1);
  // The document load form.
  EXPECT_EQ(Get("/api/shop?id_token=" + SessionToken(shop)).status, 200);
}

TEST_F(AuthFlowTest, SettingsAreValidatedAndScopedToTheTokensShop) {
  Install("a.myshopify.com");
  Install("b.myshopify.com");
  auto put = Send("PUT", "/api/settings", R"({"brand_voice": "calm", "data_retention_days": 30})",
                  {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + SessionToken("a.myshopify.com")}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::parse(put.body).at("settings").at("brand_voice"), "calm");
  auto a = json::parse(Get("/api/settings", Bearer("a.myshopify.com")).body);
  auto b = json::parse(Get("/api/settings", Bearer("b.myshopify.com")).body);
  EXPECT_EQ(a.at("settings").at("data_retention_days"), 30);
  EXPECT_EQ(b.at("settings").at("data_retention_days"), 395);
  EXPECT_EQ(Scalar("SELECT settings::text FROM shops WHERE domain = 'b.myshopify.com'"), "{}");

  // A token of shop A naming shop B: 403, and B is untouched.
  auto cross = Send("PUT", "/api/settings?shop=b.myshopify.com", R"({"brand_voice": "evil"})",
                    {{"Content-Type", "application/json"},
                     {"Authorization", "Bearer " + SessionToken("a.myshopify.com")}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(Scalar("SELECT settings::text FROM shops WHERE domain = 'b.myshopify.com'"), "{}");
  EXPECT_EQ(Scalar("SELECT settings->>'brand_voice' FROM shops WHERE domain = 'a.myshopify.com'"), "calm");
  EXPECT_EQ(Get("/api/shop?shop=b.myshopify.com", Bearer("a.myshopify.com")).status, 403);

  auto unknown = Send("PUT", "/api/settings", R"({"colour": "red"})",
                      {{"Content-Type", "application/json"},
                       {"Authorization", "Bearer " + SessionToken("a.myshopify.com")}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(json::parse(unknown.body).at("error").at("details").at("field"), "colour");
  auto range = Send("PUT", "/api/settings", R"({"data_retention_days": 731})",
                    {{"Content-Type", "application/json"},
                     {"Authorization", "Bearer " + SessionToken("a.myshopify.com")}});
  EXPECT_EQ(range.status, 400);
  EXPECT_EQ(Scalar("SELECT settings->>'data_retention_days' FROM shops WHERE domain = 'a.myshopify.com'"), "30");
}

TEST_F(AuthFlowTest, TokenStoreReturnsTheStoredTokenWhileFresh) {
  const auto shop = Install("t.myshopify.com", "access-direct");
  shopify::TokenStore store(database_, keys_, app_);
  EXPECT_EQ(*store.AccessTokenFor(shop.id), "access-direct");
  EXPECT_EQ(store.refreshes(), 0);
  EXPECT_EQ(store.AccessTokenFor("00000000-0000-0000-0000-000000000000").error().code, ErrorCode::kNotFound);
}

TEST_F(AuthFlowTest, ConcurrentRefreshesOfOneShopRefreshOnce) {
  // Expiring in 2 minutes: inside the 5-minute window, so every caller wants a refresh.
  const auto shop = Install("t.myshopify.com", "access-old", std::chrono::seconds(120));
  shopify::TokenStore first(database_, keys_, app_);
  db::Database other_pool(db_.conninfo(), 2);  // another copy of pagelift
  shopify::TokenStore second(other_pool, keys_, app_);
  std::vector<std::future<Result<std::string>>> calls;
  for (int i = 0; i < 4; ++i) {
    auto& store = i % 2 == 0 ? first : second;
    calls.push_back(std::async(std::launch::async, [&store, id = shop.id] { return store.AccessTokenFor(id); }));
  }
  std::set<std::string> tokens;
  for (auto& call : calls) {
    auto token = call.get();
    ASSERT_TRUE(token.ok()) << token.error().message;
    tokens.insert(*token);
  }
  EXPECT_EQ(shopify_.calls("refresh_token"), 1);
  EXPECT_EQ(tokens, std::set<std::string>{"access-1"});
  EXPECT_EQ(Decrypted("t.myshopify.com", shopify::TokenKind::kRefresh), "refresh-1");
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE access_token_expires_at > now() + interval '55 minutes'"), 1);
}

TEST_F(AuthFlowTest, InvalidateForcesOneRefresh) {
  const auto shop = Install("t.myshopify.com", "access-old");
  shopify::TokenStore store(database_, keys_, app_);
  store.Invalidate(shop.id, "access-old");
  EXPECT_EQ(*store.AccessTokenFor(shop.id), "access-1");
  EXPECT_EQ(*store.AccessTokenFor(shop.id), "access-1");
  EXPECT_EQ(shopify_.calls("refresh_token"), 1);
  // Invalidating a token that is no longer the stored one does not refresh again.
  store.Invalidate(shop.id, "access-old");
  EXPECT_EQ(*store.AccessTokenFor(shop.id), "access-1");
  EXPECT_EQ(shopify_.calls("refresh_token"), 1);
}

TEST_F(AuthFlowTest, RefusedRefreshMarksTheShopForReauthorisation) {
  const auto shop = Install("t.myshopify.com", "access-old", std::chrono::seconds(60));
  shopify_.refuse_refresh_ = true;
  shopify::TokenStore store(database_, keys_, app_);
  auto token = store.AccessTokenFor(shop.id);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE reauth_required_at IS NOT NULL"), 1);
  // No further refresh attempts until the shop authorises again.
  EXPECT_FALSE(store.AccessTokenFor(shop.id).ok());
  EXPECT_EQ(shopify_.calls("refresh_token"), 1);
  // The next session-token request re-authorises it by token exchange.
  EXPECT_EQ(Get("/api/shop", Bearer("t.myshopify.com")).status, 200);
  EXPECT_EQ(Count("SELECT count(*) FROM shops WHERE reauth_required_at IS NULL"), 1);
}

TEST_F(AuthFlowTest, RotateKeysReencryptsEveryTokenOnceAndIsIdempotent) {
  for (int i = 0; i < 7; ++i) Install("s" + std::to_string(i) + ".myshopify.com", "token-" + std::to_string(i));
  const auto rotated = *crypto::KeyRing::Parse(crypto::KeyRing::GenerateEntry("k2") + "," + kKeysV1);
  auto report = shopify::RotateShopTokenKeys(database_, rotated, 3);
  EXPECT_EQ(report.shops_scanned, 7);
  EXPECT_EQ(report.shops_updated, 7);
  EXPECT_EQ(report.tokens_reencrypted, 14);
  EXPECT_EQ(report.failed, 0);
  auto again = shopify::RotateShopTokenKeys(database_, rotated, 3);
  EXPECT_EQ(again.tokens_reencrypted, 0);
  // Every blob is now under k2 and opens without k1.
  const auto only_new = *crypto::KeyRing::Parse(crypto::KeyRing::GenerateEntry("k9") + ",k2:" +
                                                 std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  (void)only_new;
  for (int i = 0; i < 7; ++i) {
    const std::string domain = "s" + std::to_string(i) + ".myshopify.com";
    auto shop = database_.Run([&](pqxx::work& tx) { return *shopify::FindShopByDomain(tx, domain); });
    EXPECT_EQ(crypto::KeyRing::KeyIdOf(shop.access_token_enc), "k2");
    EXPECT_EQ(crypto::KeyRing::KeyIdOf(*shop.refresh_token_enc), "k2");
    EXPECT_EQ(*shopify::DecryptShopToken(rotated, domain, shopify::TokenKind::kAccess, shop.access_token_enc),
              "token-" + std::to_string(i));
  }
}

}  // namespace
}  // namespace pagelift::testing
