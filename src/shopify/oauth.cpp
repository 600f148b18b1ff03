#include "shopify/oauth.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/log.h"
#include "jobs/queue.h"
#include "shopify/signatures.h"
#include "shopify/urls.h"

namespace pagelift::shopify {

namespace json = boost::json;

AppCredentials AppCredentials::FromConfig(const Config& config) {
  AppCredentials app;
  app.api_key = config.shopify_api_key;
  app.secrets = config.shopify_api_secrets;
  app.scopes = config.shopify_scopes;
  app.app_url = config.shopify_app_url;
  while (!app.app_url.empty() && app.app_url.back() == '/') app.app_url.pop_back();
  app.api_version = config.shopify_api_version;
  app.admin_base_url = config.shopify_admin_base_url;
  return app;
}

std::string AuthorizeUrl(const AppCredentials& app, std::string_view shop, std::string_view nonce) {
  return ShopOrigin(app.admin_base_url, shop) + "/admin/oauth/authorize?client_id=" +
         EncodeQueryComponent(app.api_key) + "&scope=" + EncodeQueryComponent(app.scopes) +
         "&redirect_uri=" + EncodeQueryComponent(app.app_url + "/auth/callback") +
         "&state=" + EncodeQueryComponent(nonce) + "&grant_options%5B%5D=";
}

std::string CreateOAuthState(pqxx::work& tx, std::string_view shop, TimePoint now) {
  const std::string nonce = crypto::RandomHex(32);
  tx.exec("DELETE FROM oauth_states WHERE expires_at < now() - interval '1 hour'");
  tx.exec_params("INSERT INTO oauth_states (nonce, shop, expires_at) VALUES ($1, $2, $3::timestamptz)", nonce,
                 std::string(shop), FormatRfc3339Millis(now + kOAuthStateLifetime));
  return nonce;
}

Result<void> CheckOAuthState(std::string_view stored_shop, TimePoint expires_at, std::string_view shop,
                             TimePoint now) {
  if (now >= expires_at) return MakeError(ErrorCode::kUnauthorized, "the OAuth state has expired; install again");
  if (stored_shop != shop) return MakeError(ErrorCode::kUnauthorized, "the OAuth state was issued for another shop");
  return {};
}

Result<void> ConsumeOAuthState(pqxx::work& tx, std::string_view nonce, std::string_view shop, TimePoint now) {
  auto rows = tx.exec_params(
      "DELETE FROM oauth_states WHERE nonce = $1 RETURNING shop, (extract(epoch FROM expires_at) * 1000000)::bigint",
      std::string(nonce));
  if (rows.empty()) {
    return MakeError(ErrorCode::kUnauthorized, "unknown or already used OAuth state; install again");
  }
  return CheckOAuthState(rows[0][0].as<std::string>(),
                         TimePoint(std::chrono::microseconds(rows[0][1].as<long long>())), shop, now);
}

Result<ShopTokens> ParseTokenReply(const HttpReply& reply) {
  json::value body;
  boost::system::error_code parse_error;
  body = json::parse(reply.body, parse_error);
  const json::object* object = !parse_error && body.is_object() ? &body.as_object() : nullptr;
  if (reply.status == 200) {
    const json::value* access = object ? object->if_contains("access_token") : nullptr;
    if (access == nullptr || !access->is_string() || access->as_string().empty()) {
      return MakeError(ErrorCode::kUnavailable, "Shopify's token endpoint answered without an access token");
    }
    ShopTokens tokens;
    tokens.access_token = std::string(access->as_string());
    auto text = [&](const char* key) -> std::optional<std::string> {
      const json::value* v = object->if_contains(key);
      if (v && v->is_string() && !v->as_string().empty()) return std::string(v->as_string());
      return std::nullopt;
    };
    auto seconds = [&](const char* key) -> std::optional<std::chrono::seconds> {
      const json::value* v = object->if_contains(key);
      if (v && v->is_int64() && v->as_int64() > 0) return std::chrono::seconds(v->as_int64());
      if (v && v->is_uint64()) return std::chrono::seconds(static_cast<long long>(v->as_uint64()));
      return std::nullopt;
    };
    tokens.scope = text("scope").value_or("");
    tokens.expires_in = seconds("expires_in");
    tokens.refresh_token = text("refresh_token");
    if (tokens.refresh_token) tokens.refresh_token_expires_in = seconds("refresh_token_expires_in");
    return tokens;
  }
  std::string oauth_error;
  if (object) {
    if (const json::value* e = object->if_contains("error"); e && e->is_string()) {
      oauth_error = std::string(e->as_string());
    }
  }
  if (reply.status >= 500 || reply.status == 429) {
    auto error = MakeError(ErrorCode::kUnavailable, "Shopify's token endpoint is unavailable",
                           {{"status", reply.status}});
    error.retry_after_seconds = 5;
    return error;
  }
  if (reply.status == 400 || reply.status == 401 || reply.status == 403) {
    // Only OAuth's own short error codes are echoed (bounded, no secrets); the rest of the body is not.
    if (oauth_error.size() > 64) oauth_error.resize(64);
    return MakeError(ErrorCode::kUnauthorized, "Shopify refused the grant",
                     {{"status", reply.status}, {"oauth_error", oauth_error}, {"reauthorize", true}});
  }
  return MakeError(ErrorCode::kBadRequest, "unexpected answer from Shopify's token endpoint",
                   {{"status", reply.status}});
}

namespace {

Result<ShopTokens> PostTokenRequest(const AppCredentials& app, std::string_view shop, json::object body,
                                    std::string_view grant) {
  body["client_id"] = app.api_key;
  body["client_secret"] = app.secrets.empty() ? std::string() : app.secrets.front();
  const std::string url = ShopOrigin(app.admin_base_url, shop) + "/admin/oauth/access_token";
  auto reply = HttpPost(url, json::serialize(body),
                        {{"Content-Type", "application/json"}, {"Accept", "application/json"}});
  if (!reply) {
    log::Warn("token request failed", {{"shop", shop}, {"grant", grant}, {"error", reply.error().message}});
    return std::move(reply).error();
  }
  auto tokens = ParseTokenReply(*reply);
  if (!tokens) {
    log::Warn("token request refused",
              {{"shop", shop}, {"grant", grant}, {"status", reply->status}, {"error", tokens.error().message}});
  }
  return tokens;
}

}  // namespace

Result<ShopTokens> ExchangeAuthorizationCode(const AppCredentials& app, std::string_view shop, std::string_view code) {
  return PostTokenRequest(app, shop, {{"code", code}, {"expiring", "1"}}, "authorization_code");
}

Result<ShopTokens> ExchangeSessionToken(const AppCredentials& app, std::string_view shop,
                                        std::string_view session_token) {
  return PostTokenRequest(app, shop,
                          {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                           {"subject_token", session_token},
                           {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
                           {"requested_token_type", "urn:shopify:params:oauth:token-type:offline-access-token"},
                           {"expiring", "1"}},
                          "token_exchange");
}

Result<ShopTokens> RefreshAccessToken(const AppCredentials& app, std::string_view shop,
                                      std::string_view refresh_token) {
  return PostTokenRequest(app, shop, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}},
                          "refresh_token");
}

UpsertOutcome InstallShop(pqxx::work& tx, const crypto::KeyRing& keys, std::string_view shop,
                          const ShopTokens& tokens, TimePoint now) {
  auto outcome = UpsertShopTokens(tx, keys, shop, tokens, now);
  if (outcome.newly_installed) {
    jobs::EnqueueOptions options;
    options.shop_id = outcome.shop.id;
    options.dedupe_key = outcome.shop.id;
    jobs::Enqueue(tx, kShopInstalledJobKind, {{"shop_id", outcome.shop.id}, {"domain", outcome.shop.domain}},
                  options);
  }
  return outcome;
}

}  // namespace pagelift::shopify
