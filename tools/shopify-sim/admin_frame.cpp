#include "shopify-sim/admin_frame.h"

#include <fmt/format.h>

#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <memory>

#include "core/text.h"
#include "core/time.h"
#include "http/responses.h"
#include "shopify/session_token.h"
#include "shopify/shop_domain.h"
#include "shopify/signatures.h"

namespace pagelift::shopify_sim {

namespace {

using boost::beast::http::field;

// The stand-in reads the shop from the page's URL once (the app keeps it across client-side navigation) and asks the
// simulator that served it for tokens (they live one minute).
constexpr std::string_view kAppBridgeStandIn = R"JS((function () {
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var params = new URLSearchParams(location.search);
  var shop = params.get('shop') || sessionStorage.getItem('shopify-sim-shop');
  if (shop) sessionStorage.setItem('shopify-sim-shop', shop);
  var meta = document.querySelector('meta[name="shopify-api-key"]');
  var apiKey = script.getAttribute('data-api-key') || (meta && meta.content) || '';
  var cached = null;
  window.shopify = {
    config: {apiKey: apiKey, shop: shop, host: params.get('host')},
    environment: {embedded: window.top !== window, mobile: false, pos: false},
    // Like App Bridge, a token is reused until shortly before it expires, and concurrent calls share one request.
    idToken: function () {
      if (!shop) return Promise.reject(new Error('the page was opened without a shop parameter'));
      if (cached && cached.expires - Date.now() > 10000) return cached.token;
      cached = null;
      var pending = fetch(origin + '/_sim/app-bridge/session-token?shop=' + encodeURIComponent(shop))
        .then(function (r) {
          if (!r.ok) throw new Error('the simulator refused a session token (HTTP ' + r.status + ')');
          return r.json();
        })
        .then(function (body) { return body.token; });
      cached = {token: pending, expires: Date.now() + 50000};
      pending.catch(function () { cached = null; });
      return pending;
    },
    toast: {show: function (message) { console.log('[App Bridge toast] ' + message); }}
  };
})();
)JS";

std::string AdminPage(const AdminFrameOptions& options, const std::string& shop) {
  const std::string name = shop.substr(0, shop.find('.'));
  std::string body;
  if (options.app_url.empty()) {
    body = "<p class=\"missing\">The simulator does not know the app's URL (set SIM_APP_URL).</p>";
  } else {
    const std::string src = fmt::format("{}/app?shop={}&host={}&embedded=1", options.app_url,
                                        shopify::EncodeQueryComponent(shop),
                                        shopify::EncodeQueryComponent(shopify::EncodeHostParam(shop)));
    body = fmt::format("<iframe title=\"pagelift\" name=\"app-iframe\" src=\"{}\"></iframe>", HtmlEscape(src));
  }
  return fmt::format(R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>pagelift · {name} · Shopify admin (simulator)</title>
<style>
  body {{ margin: 0; font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, sans-serif; background: #1a1a1a; }}
  header {{ height: 56px; display: flex; align-items: center; gap: 12px; padding: 0 16px; color: #e3e3e3; font-size: 13px; }}
  header strong {{ color: #fff; }}
  .layout {{ display: flex; height: calc(100vh - 56px); }}
  nav {{ width: 240px; background: #ebebeb; padding: 12px; font-size: 13px; color: #303030; border-top-left-radius: 12px; }}
  nav p {{ margin: 6px 8px; }}
  main {{ flex: 1; background: #f1f1f1; }}
  iframe {{ border: 0; width: 100%; height: 100%; display: block; }}
  .missing {{ padding: 24px; }}
</style></head>
<body>
<header><strong>Shopify admin</strong><span>{shop} · simulator</span></header>
<div class="layout"><nav aria-label="Shopify admin"><p>Home</p><p>Orders</p><p>Products</p><p><strong>Apps › pagelift</strong></p></nav>
<main>{body}</main></div>
</body></html>
)HTML",
                     fmt::arg("name", HtmlEscape(name)), fmt::arg("shop", HtmlEscape(shop)), fmt::arg("body", body));
}

std::string QueryValue(const http::Request& request, std::string_view name) {
  const std::string_view target(request.target().data(), request.target().size());
  const auto question = target.find('?');
  if (question == std::string_view::npos) return "";
  auto params = shopify::ParseQuery(target.substr(question + 1));
  if (!params) return "";
  for (const auto& [key, value] : *params) {
    if (key == name) return value;
  }
  return "";
}

http::Response AdminPageResponse(const AdminFrameOptions& options, const std::string& shop_param,
                                 const std::string& api_key) {
  const auto shop = shopify::NormalizeMyshopifyDomain(shop_param);
  if (!shop || api_key != options.api_key) {
    return http::TextResponse(http::Status::not_found, "no such app in this shop's admin\n");
  }
  auto response = http::TextResponse(http::Status::ok, AdminPage(options, *shop), "text/html; charset=utf-8");
  response.set(field::cache_control, "no-store");
  return response;
}

http::Response AppBridgeScriptResponse() {
  auto response = http::TextResponse(http::Status::ok, std::string(kAppBridgeStandIn), "text/javascript; charset=utf-8");
  response.set(field::cache_control, "no-cache");
  response.set(field::access_control_allow_origin, "*");
  return response;
}

// Shopify's claims for the shop, signed with the app secret: what App Bridge hands the app.
http::Response SessionTokenResponse(const AdminFrameOptions& options, const std::string& shop_param) {
  const auto shop = shopify::NormalizeMyshopifyDomain(shop_param);
  http::Response response;
  if (!shop) {
    response = http::ErrorResponse(
        MakeError(ErrorCode::kBadRequest, "shop must be a {name}.myshopify.com domain", {{"field", "shop"}}));
  } else {
    shopify::SessionTokenClaims claims;
    claims.shop = *shop;
    claims.api_key = options.api_key;
    claims.issued_at = Clock::now();
    const std::string token = shopify::SignSessionToken(shopify::MakeSessionTokenClaims(claims), options.api_secret);
    response = http::JsonResponse(http::Status::ok, {{"token", token}, {"shop", *shop}});
  }
  response.set(field::cache_control, "no-store");
  response.set(field::access_control_allow_origin, "*");
  return response;
}

}  // namespace

std::string AppBridgeStandInUrl(std::string_view sim_base_url) {
  return fmt::format("{}/_sim/app-bridge.js", sim_base_url);
}

void RegisterAdminFrameRoutes(http::Router& router, AdminFrameOptions options) {
  if (auto url = boost::urls::parse_uri(options.app_url)) options.app_url = std::string(url->encoded_origin());
  auto shared = std::make_shared<const AdminFrameOptions>(std::move(options));
  router.Add(http::Verb::get, "/{shop}/admin/apps/{api_key}",
             [shared](http::Request&, http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
               co_return AdminPageResponse(*shared, context.params.at("shop"), context.params.at("api_key"));
             });
  router.Add(http::Verb::get, "/_sim/app-bridge.js",
             [](http::Request&, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
               co_return AppBridgeScriptResponse();
             });
  router.Add(http::Verb::get, "/_sim/app-bridge/session-token",
             [shared](http::Request& request, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
               co_return SessionTokenResponse(*shared, QueryValue(request, "shop"));
             });
}

}  // namespace pagelift::shopify_sim
