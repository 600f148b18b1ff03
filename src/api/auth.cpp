#include "api/auth.h"

#include <boost/beast/http/field.hpp>
#include <map>

#include "core/log.h"
#include "core/time.h"
#include "http/responses.h"
#include "shopify/shop_domain.h"
#include "shopify/signatures.h"

namespace pagelift::api {

namespace {

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

http::Response Redirect(const std::string& location) {
  http::Response response{http::Status::found, 11};
  response.set(boost::beast::http::field::location, location);
  response.set(boost::beast::http::field::cache_control, "no-store");
  return response;
}

http::Response Refuse(const Error& error, const http::RequestContext& context, std::string_view step) {
  log::Info("install refused", {{"request_id", context.request_id}, {"step", step}, {"reason", error.message}});
  return http::ErrorResponse(error);
}

boost::asio::awaitable<http::Response> Install(const AuthDeps& deps, http::Request& request,
                                               http::RequestContext& context) {
  const auto shop_param = QueryParam(request, "shop");
  if (!shop_param) {
    co_return Refuse(MakeError(ErrorCode::kBadRequest, "the shop parameter is required", {{"field", "shop"}}),
                     context, "shop");
  }
  const auto shop = shopify::NormalizeShopDomain(*shop_param);
  if (!shop) {
    co_return Refuse(MakeError(ErrorCode::kBadRequest, "shop must be a {name}.myshopify.com domain",
                               {{"field", "shop"}}),
                     context, "shop");
  }
  const std::string nonce = co_await deps.database.RunAsync(
      [&shop](pqxx::work& tx) { return shopify::CreateOAuthState(tx, *shop, Now()); });
  context.shop = *shop;
  co_return Redirect(shopify::AuthorizeUrl(deps.app, *shop, nonce));
}

boost::asio::awaitable<http::Response> Callback(const AuthDeps& deps, http::Request& request,
                                                http::RequestContext& context) {
  const std::string_view raw_query = RawQuery(request);
  auto parsed = shopify::ParseQuery(raw_query);
  if (!parsed) co_return Refuse(MakeError(ErrorCode::kBadRequest, "malformed query string"), context, "query");
  std::map<std::string, std::string, std::less<>> params(parsed->begin(), parsed->end());
  for (const char* required : {"hmac", "code", "shop", "state", "timestamp"}) {
    if (!params.contains(required)) {
      co_return Refuse(MakeError(ErrorCode::kBadRequest, std::string("the ") + required + " parameter is required",
                                 {{"field", required}}),
                       context, "params");
    }
  }
  if (!shopify::VerifyOAuthQuery(raw_query, deps.app.secrets)) {
    co_return Refuse(MakeError(ErrorCode::kUnauthorized, "the callback's hmac does not verify"), context, "hmac");
  }
  if (auto fresh = shopify::CheckRequestTimestamp(params["timestamp"], Clock::now()); !fresh) {
    co_return Refuse(fresh.error(), context, "timestamp");
  }
  const auto shop = shopify::NormalizeMyshopifyDomain(params["shop"]);
  if (!shop) {
    co_return Refuse(MakeError(ErrorCode::kBadRequest, "shop must be a {name}.myshopify.com domain",
                               {{"field", "shop"}}),
                     context, "shop");
  }
  context.shop = *shop;
  auto state = co_await deps.database.RunAsync(
      [&params, &shop](pqxx::work& tx) { return shopify::ConsumeOAuthState(tx, params.at("state"), *shop, Now()); });
  if (!state) co_return Refuse(state.error(), context, "state");

  const auto& app = deps.app;
  auto tokens = co_await deps.database.Offload(
      [&app, &shop, &params] { return shopify::ExchangeAuthorizationCode(app, *shop, params.at("code")); });
  if (!tokens) {
    auto error = tokens.error();
    if (error.code == ErrorCode::kUnauthorized) error.message = "Shopify refused the authorization code; install again";
    co_return Refuse(error, context, "exchange");
  }
  const auto& keys = deps.keys;
  auto outcome = co_await deps.database.RunAsync(
      [&keys, &shop, &tokens](pqxx::work& tx) { return shopify::InstallShop(tx, keys, *shop, *tokens, Now()); });
  if (outcome.newly_installed && deps.on_enqueued) deps.on_enqueued();
  log::Info(outcome.newly_installed ? "shop installed" : "shop re-authorised",
            {{"shop", *shop}, {"request_id", context.request_id}, {"scope", tokens->scope}});
  std::optional<std::string> host;
  if (auto it = params.find("host"); it != params.end()) host = it->second;
  co_return Redirect(PostInstallRedirect(deps.app, *shop, host));
}

}  // namespace

std::string PostInstallRedirect(const shopify::AppCredentials& app, std::string_view shop,
                                const std::optional<std::string>& host_param) {
  std::optional<shopify::EmbeddedHost> host;
  if (host_param) host = shopify::DecodeHostParam(*host_param);
  const std::string host_value = host_param && host ? *host_param : shopify::EncodeHostParam(shop);
  if (app.admin_base_url) {
    return app.app_url + "/app?shop=" + shopify::EncodeQueryComponent(shop) +
           "&host=" + shopify::EncodeQueryComponent(host_value);
  }
  // The host is rebuilt from validated parts (DecodeHostParam), never copied: no open redirect.
  if (host && host->shop == shop) return "https://" + host->host + "/apps/" + app.api_key;
  return "https://" + std::string(shop) + "/admin/apps/" + app.api_key;
}

void RegisterAuthRoutes(http::Router& router, const AuthDeps& deps) {
  router.Add(http::Verb::get, "/auth/install",
             [&deps](http::Request& request, http::RequestContext& context) { return Install(deps, request, context); });
  router.Add(http::Verb::get, "/auth/callback", [&deps](http::Request& request, http::RequestContext& context) {
    return Callback(deps, request, context);
  });
}

}  // namespace pagelift::api
