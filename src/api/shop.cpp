#include "api/shop.h"

#include "core/time.h"
#include "http/responses.h"
#include "shopify/shop_settings.h"
#include "shopify/shops_repository.h"

namespace pagelift::api {

namespace json = boost::json;

namespace {

json::object ShopJson(const shopify::ShopRow& shop) {
  return {{"domain", shop.domain},
          {"public_id", shop.public_id},
          {"plan", shop.plan},
          {"installed_at", FormatRfc3339Millis(shop.installed_at)},
          {"scope", shop.scope},
          {"settings", shopify::EffectiveSettings(shop.settings)},
          // The sync's progress is reported by /api/sync; this is the summary the home page shows.
          {"sync", {{"status", "unknown"}}}};
}

Error ShopGone() { return MakeError(ErrorCode::kNotFound, "the shop has no data in pagelift"); }

// A read-only route answering {key: render(shop row)} for the session token's shop; 404 once the shop was erased.
http::Handler ShopReadRoute(const AuthDeps& deps, const char* key, json::value (*render)(const shopify::ShopRow&)) {
  return WithSession(deps, [&deps, key, render](http::Request&, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
    auto shop = co_await deps.database.RunAsync(
        db::TxOptions::ReadOnly(), [&auth](pqxx::work& tx) { return shopify::FindShopById(tx, auth.shop_id); });
    if (!shop) co_return http::ErrorResponse(ShopGone());
    json::object body;
    body[key] = render(*shop);
    co_return http::JsonResponse(http::Status::ok, std::move(body));
  });
}

}  // namespace

void RegisterShopRoutes(http::Router& router, const AuthDeps& deps) {
  router.Add(http::Verb::get, "/api/shop",
             ShopReadRoute(deps, "shop", [](const shopify::ShopRow& shop) -> json::value { return ShopJson(shop); }));
  router.Add(http::Verb::get, "/api/settings",
             ShopReadRoute(deps, "settings", [](const shopify::ShopRow& shop) -> json::value {
               return shopify::EffectiveSettings(shop.settings);
             }));

  http::RouteOptions json_body;
  json_body.max_body_bytes = 64 * 1024;
  json_body.content_types = {"application/json"};
  router.Add(
      http::Verb::put, "/api/settings",
      WithSession(deps,
                  [&deps](http::Request& request, http::RequestContext&,
                          const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
                    auto body = http::ParseJsonBody(request);
                    if (!body) co_return http::ErrorResponse(body.error());
                    auto update = shopify::ValidateSettings(*body);
                    if (!update) co_return http::ErrorResponse(update.error());
                    // Read-merge-write under the row lock, so two concurrent PUTs of different keys both land.
                    auto merged = co_await deps.database.RunAsync(
                        [&auth, &update](pqxx::work& tx) -> std::optional<json::object> {
                          const std::string& id = auth.shop_id;
                          auto shop = shopify::LockShopById(tx, id);
                          if (!shop) return std::nullopt;
                          auto settings = shopify::MergeSettings(shopify::EffectiveSettings(shop->settings), *update);
                          shopify::UpdateSettings(tx, id, settings);
                          return settings;
                        });
                    if (!merged) co_return http::ErrorResponse(ShopGone());
                    co_return http::JsonResponse(http::Status::ok, {{"settings", *merged}});
                  }),
      json_body);
}

}  // namespace pagelift::api
