#include "api/session.h"

#include <boost/beast/http/field.hpp>

#include "core/log.h"
#include "core/time.h"
#include "http/responses.h"
#include "shopify/session_token.h"
#include "shopify/shop_domain.h"
#include "shopify/shops_repository.h"
#include "shopify/signatures.h"

namespace pagelift::api {

namespace {

constexpr std::string_view kBearer = "Bearer ";

std::optional<std::string> SessionTokenOf(const http::Request& request) {
  const auto authorization = request[boost::beast::http::field::authorization];
  if (authorization.size() > kBearer.size() &&
      std::string_view(authorization.data(), kBearer.size()) == kBearer) {
    return std::string(authorization.substr(kBearer.size()));
  }
  // Document loads of the embedded app carry the token in the URL instead.
  return QueryParam(request, "id_token");
}

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

}  // namespace

std::string_view RawQuery(const http::Request& request) {
  const std::string_view target(request.target().data(), request.target().size());
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
}

std::optional<std::string> QueryParam(const http::Request& request, std::string_view name) {
  auto params = shopify::ParseQuery(RawQuery(request));
  if (!params) return std::nullopt;
  for (auto& [key, value] : *params) {
    if (key == name) return std::move(value);
  }
  return std::nullopt;
}

std::string FrameAncestorsPolicy(std::string_view shop) {
  if (shop.empty()) return "frame-ancestors https://admin.shopify.com";
  return "frame-ancestors https://" + std::string(shop) + " https://admin.shopify.com";
}

void AddEmbeddedHeaders(http::Response& response, std::string_view shop) {
  response.set("Content-Security-Policy", FrameAncestorsPolicy(shop));
}

http::Response SessionErrorResponse(const Error& error) {
  auto response = http::ErrorResponse(error);
  if (error.code == ErrorCode::kUnauthorized) response.set("X-Shopify-Retry-Invalid-Session-Request", "1");
  return response;
}

boost::asio::awaitable<Result<AuthenticatedShop>> Authenticate(const http::Request& request,
                                                              http::RequestContext& context, const AuthDeps& deps) {
  const auto raw_token = SessionTokenOf(request);
  if (!raw_token || raw_token->empty()) {
    co_return MakeError(ErrorCode::kUnauthorized, "missing session token (Authorization: Bearer …)");
  }
  auto token = shopify::VerifySessionToken(*raw_token, deps.app.api_key, deps.app.secrets, Clock::now());
  if (!token) {
    log::Info("session token refused", {{"request_id", context.request_id}, {"reason", token.error().message}});
    co_return std::move(token).error();
  }
  if (auto named = QueryParam(request, "shop")) {
    auto canonical = shopify::NormalizeShopDomain(*named);
    if (canonical && *canonical != token->shop) {
      co_return MakeError(ErrorCode::kForbidden, "the session token belongs to another shop");
    }
  }
  const std::string shop = token->shop;
  auto row = co_await deps.database.RunAsync(db::TxOptions::ReadOnly(),
                                             [&shop](pqxx::work& tx) { return shopify::FindShopByDomain(tx, shop); });
  if (!row || !row->installed() || row->reauth_required_at || row->access_token_enc.empty()) {
    // No usable offline token: exchange this session token for one (Shopify's recommended install path).
    const auto& app = deps.app;
    auto tokens = co_await deps.database.Offload(
        [&app, &shop, &raw_token] { return shopify::ExchangeSessionToken(app, shop, *raw_token); });
    if (!tokens) co_return std::move(tokens).error();
    const auto& keys = deps.keys;
    auto outcome = co_await deps.database.RunAsync(
        [&keys, &shop, &tokens](pqxx::work& tx) { return shopify::InstallShop(tx, keys, shop, *tokens, Now()); });
    log::Info(outcome.newly_installed ? "shop installed by token exchange" : "shop token renewed by token exchange",
              {{"shop", shop}, {"request_id", context.request_id}});
    if (outcome.newly_installed && deps.on_enqueued) deps.on_enqueued();
    row = std::move(outcome.shop);
  }
  context.shop = shop;
  co_return AuthenticatedShop{row->id, row->domain, row->public_id};
}

http::Handler WithSession(const AuthDeps& deps, SessionHandler handler) {
  return [&deps, handler = std::move(handler)](http::Request& request,
                                               http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
    auto shop = co_await Authenticate(request, context, deps);
    if (!shop) {
      auto response = SessionErrorResponse(shop.error());
      // The shop is not verified here; a well-formed `shop` parameter only widens frame-ancestors to that shop.
      std::string named;
      if (auto param = QueryParam(request, "shop")) named = shopify::NormalizeShopDomain(*param).value_or("");
      AddEmbeddedHeaders(response, named);
      co_return response;
    }
    auto response = co_await handler(request, context, *shop);
    AddEmbeddedHeaders(response, shop->domain);
    co_return response;
  };
}

}  // namespace pagelift::api
