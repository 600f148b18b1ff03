// Installed shops and the credentials the integration tests present for them, written once: a shop installed with its
// offline token encrypted as the OAuth callback stores it (a bare row: InsertBareShop in test_database.h), the app's
// credentials and key ring wired into api::AuthDeps, App Bridge session tokens signed for a shop, authorised /api
// requests over HTTP, and the query Shopify's app proxy signs.
//
// Header-only on purpose: tests/support/*.cpp is pagelift_test_support, linked into every unit binary, which does not
// link pagelift_api or pagelift_shopify; only the integration binaries that include this header do.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "api/session.h"
#include "core/crypto.h"
#include "core/time.h"
#include "db/database.h"
#include "shopify/oauth.h"
#include "shopify/session_token.h"
#include "shopify/shops_repository.h"
#include "shopify/signatures.h"
#include "support/http_client.h"
#include "support/test_database.h"

namespace pagelift::testing {

// The PAGELIFT_TOKEN_KEYS of every test: one 32-byte key, "k1".
inline constexpr const char* kTestTokenKeys = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

inline TimePoint NowMicros() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

// App credentials as a test app has them: `api_key`, one secret (which signs session tokens), API version 2026-10.
inline shopify::AppCredentials TestApp(const std::string& api_key, const std::string& secret) {
  shopify::AppCredentials app;
  app.api_key = api_key;
  app.secrets = {secret};
  app.api_version = "2026-10";
  return app;
}

// `Authorization: Bearer <session_token>` on a request to 127.0.0.1:port; a non-empty body is sent as JSON (the
// server checks the content type only of a body).
inline HttpResult AuthorisedRequest(unsigned short port, const std::string& session_token, const std::string& method,
                                    const std::string& target, const std::string& body = "") {
  std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + session_token}};
  if (!body.empty()) headers["Content-Type"] = "application/json";
  HttpClient client(port);
  return client.Request(method, target, body, headers);
}

// The app as the /api routes see it: its credentials, the token key ring, and the AuthDeps built from them.
class AdminSession {
 public:
  AdminSession(db::Database& database, shopify::AppCredentials app)
      : database_(database),
        app_(std::move(app)),
        keys_(*crypto::KeyRing::Parse(kTestTokenKeys)),
        deps_{database_, app_, keys_, {}} {}
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  shopify::AppCredentials& app() { return app_; }
  const crypto::KeyRing& keys() const { return keys_; }
  api::AuthDeps& deps() { return deps_; }

  // Installs `domain` as a successful OAuth callback would (its tokens encrypted under keys()); returns the shops row.
  shopify::ShopRow Install(const std::string& domain, const shopify::ShopTokens& tokens) {
    return database_.Run(
        [&](pqxx::work& tx) { return shopify::InstallShop(tx, keys_, domain, tokens, NowMicros()).shop; });
  }
  // The same with a non-expiring offline token.
  shopify::ShopRow Install(const std::string& domain) {
    shopify::ShopTokens tokens;
    tokens.access_token = "offline-token";
    tokens.scope = "read_products";
    return Install(domain, tokens);
  }

  // A session token for `shop`, issued now, signed with `secret` (by default the app's own).
  std::string SessionToken(const std::string& shop) const { return SessionToken(shop, app_.secrets.front()); }
  std::string SessionToken(const std::string& shop, const std::string& secret) const {
    shopify::SessionTokenClaims claims;
    claims.shop = shop;
    claims.api_key = app_.api_key;
    claims.issued_at = Clock::now();
    return shopify::SignSessionToken(shopify::MakeSessionTokenClaims(claims), secret);
  }

  // An /api request with a fresh session token for `shop`.
  HttpResult Call(unsigned short port, const std::string& shop, const std::string& method, const std::string& target,
                  const std::string& body = "") const {
    return AuthorisedRequest(port, SessionToken(shop), method, target, body);
  }

 private:
  db::Database& database_;
  shopify::AppCredentials app_;
  crypto::KeyRing keys_;
  api::AuthDeps deps_;
};

// The query Shopify's app proxy appends for a storefront request to https://{shop}/apps/pagelift/…, before signing;
// `timestamp_offset` moves its timestamp away from now.
inline shopify::QueryParams AppProxyParams(const std::string& shop,
                                           std::chrono::seconds timestamp_offset = std::chrono::seconds(0)) {
  const auto at = std::chrono::system_clock::now() + timestamp_offset;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  return {{"shop", shop},
          {"logged_in_customer_id", ""},
          {"path_prefix", "/apps/pagelift"},
          {"timestamp", std::to_string(seconds)}};
}

}  // namespace pagelift::testing
