#include "api/shop.h"

#include <memory>

#include "api/app_embed.h"
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

// Counting stops here: the events table is large and hot, and the page only needs "events are arriving".
constexpr long long kEventCountCap = 10000;

// Events of the last 24 hours (at most kEventCountCap + 1 rows are read: "10,000+") and the newest event's time,
// both through the primary key (shop_id, ts, id) of each partition.
json::object EventActivity(pqxx::work& tx, const std::string& shop_id) {
  const auto row = tx.exec_params(
      "SELECT (SELECT count(*) FROM (SELECT 1 FROM events WHERE shop_id = $1::uuid "
      "                                AND ts > now() - interval '24 hours' LIMIT $2) recent), "
      "       (SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM events "
      "         WHERE shop_id = $1::uuid ORDER BY ts DESC LIMIT 1)",
      shop_id, kEventCountCap + 1)[0];
  const auto count = row[0].as<long long>();
  return {{"events_last_24h", std::min(count, kEventCountCap)},
          {"events_last_24h_capped", count > kEventCountCap},
          {"last_event_at", row[1].is_null() ? json::value(nullptr) : json::value(row[1].c_str())}};
}

struct ShopWithActivity {
  shopify::ShopRow shop;
  json::object activity;
};

std::optional<ShopWithActivity> LoadShopWithActivity(pqxx::work& tx, const std::string& shop_id) {
  auto shop = shopify::FindShopById(tx, shop_id);
  if (!shop) return std::nullopt;
  return ShopWithActivity{std::move(*shop), EventActivity(tx, shop_id)};
}

shopify::ShopRef RefOf(const AuthenticatedShop& auth) { return {auth.shop_id, auth.domain}; }

// {"shop": {…, "tracking": {app_embed_enabled (null: unknown), app_embed_reason, app_embed_url, theme_name,
// events_last_24h, events_last_24h_capped, last_event_at}}}.
json::object ShopBody(ShopWithActivity loaded, const AppEmbedStatus& embed, const std::string& api_key) {
  auto shop = ShopJson(loaded.shop);
  json::object tracking = std::move(loaded.activity);
  tracking["app_embed_enabled"] = embed.enabled ? json::value(*embed.enabled) : json::value(nullptr);
  tracking["app_embed_reason"] = embed.reason.empty() ? json::value(nullptr) : json::value(embed.reason);
  tracking["app_embed_url"] = AppEmbedEditorUrl(loaded.shop.domain, api_key);
  tracking["theme_name"] = embed.theme_name.empty() ? json::value(nullptr) : json::value(embed.theme_name);
  shop["tracking"] = std::move(tracking);
  return {{"shop", std::move(shop)}};
}

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
  auto checker = std::make_shared<AppEmbedChecker>(deps.database, deps.keys, deps.app);
  router.Add(http::Verb::get, "/api/shop",
             WithSession(deps, [&deps, checker](http::Request& request, http::RequestContext&,
                                                const AuthenticatedShop& auth) -> boost::asio::awaitable<http::Response> {
               auto loaded = co_await deps.database.RunAsync(
                   db::TxOptions::ReadOnly(), [&auth](pqxx::work& tx) { return LoadShopWithActivity(tx, auth.shop_id); });
               if (!loaded) co_return http::ErrorResponse(ShopGone());
               const bool recheck = QueryParam(request, "recheck") == "1";
               const auto ref = RefOf(auth);
               auto embed = co_await deps.database.Offload([&checker, &ref, &recheck] { return checker->Check(ref, recheck); });
               co_return http::JsonResponse(http::Status::ok, ShopBody(std::move(*loaded), embed, deps.app.api_key));
             }));
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
