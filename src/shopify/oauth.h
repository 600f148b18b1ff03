// Getting a shop's offline access token from Shopify: the authorization-code grant (GET /auth/install →
// /auth/callback), token exchange of an App Bridge session token, and the refresh of expiring offline tokens
// (../shared/spec/shopify-platform.md, "Install and authentication"). Also the single-use `state` nonces of the
// authorization-code grant (table oauth_states) and InstallShop, which stores a shop's tokens and, on a first install
// or a reinstall, enqueues the install follow-ups in the same transaction.
#pragma once

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/time.h"
#include "shopify/http_client.h"
#include "shopify/shops_repository.h"

namespace pagelift::shopify {

// The app's identity and where Shopify is, from the environment (SHOPIFY_*).
struct AppCredentials {
  std::string api_key;
  std::vector<std::string> secrets;  // newest first; the first one signs requests to Shopify
  std::string scopes;
  std::string app_url;               // SHOPIFY_APP_URL, without a trailing "/"
  std::string api_version;
  std::optional<std::string> admin_base_url;  // the simulator

  static AppCredentials FromConfig(const Config& config);
};

// The job enqueued when a shop is installed (or reinstalled): payload {"shop_id", "domain"}; one per shop at a time.
inline constexpr std::string_view kShopInstalledJobKind = "shop_installed";

// How long a state nonce is accepted.
inline constexpr std::chrono::minutes kOAuthStateLifetime{10};

// {ShopOrigin}/admin/oauth/authorize?client_id&scope&redirect_uri={app_url}/auth/callback&state&grant_options[]=
std::string AuthorizeUrl(const AppCredentials& app, std::string_view shop, std::string_view nonce);

// A new nonce (32 random bytes, hex) for `shop`, stored with kOAuthStateLifetime; expired nonces are purged.
std::string CreateOAuthState(pqxx::work& tx, std::string_view shop, TimePoint now);

// Deletes the nonce (single use, whatever the outcome) and checks it: kUnauthorized when unknown, expired, or issued
// for another shop.
Result<void> ConsumeOAuthState(pqxx::work& tx, std::string_view nonce, std::string_view shop, TimePoint now);

// The rule ConsumeOAuthState applies to the row it found; exposed for unit tests.
Result<void> CheckOAuthState(std::string_view stored_shop, TimePoint expires_at, std::string_view shop, TimePoint now);

// --- Token endpoint (blocking HTTP: call from a job thread or through db::Database::Offload) -----------------------

// Parses the token endpoint's reply. 200 with access_token → tokens. 400/401 with {"error": "invalid_grant" |
// "invalid_subject_token" | …} → kUnauthorized with details {"oauth_error": …, "reauthorize": true}. 5xx and 429 →
// kUnavailable. Anything else → kBadRequest. Never copies the body into a message.
Result<ShopTokens> ParseTokenReply(const HttpReply& reply);

// Authorization-code grant: POST {origin}/admin/oauth/access_token {client_id, client_secret, code, expiring: "1"}.
Result<ShopTokens> ExchangeAuthorizationCode(const AppCredentials& app, std::string_view shop, std::string_view code);
// Token exchange of a verified session token for an expiring offline token.
Result<ShopTokens> ExchangeSessionToken(const AppCredentials& app, std::string_view shop,
                                        std::string_view session_token);
// grant_type=refresh_token.
Result<ShopTokens> RefreshAccessToken(const AppCredentials& app, std::string_view shop,
                                      std::string_view refresh_token);

// Stores the tokens (UpsertShopTokens) and, when the shop is newly installed, enqueues kShopInstalledJobKind.
UpsertOutcome InstallShop(pqxx::work& tx, const crypto::KeyRing& keys, std::string_view shop,
                          const ShopTokens& tokens, TimePoint now);

}  // namespace pagelift::shopify
