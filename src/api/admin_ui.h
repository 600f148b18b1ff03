// GET /app and /app/*: the embedded admin UI (web/admin/, built by esbuild and compiled into the binary by
// web/admin/admin_ui.cmake). Every path that is not an asset is a client route and gets index.html (no-cache), whose
// App Bridge script tag and API key are filled in here; assets (/app/assets/{name}-{hash}.{js,css}) carry a content
// hash in their names and are served `immutable` for a year, gzip-compressed when the browser accepts it. Responses
// carry the embedded admin's CSP frame-ancestors (api/session.h). The page itself needs no authentication: the
// /api/* calls it makes carry the App Bridge session token.
#pragma once

#include <optional>
#include <string>

#include "http/router.h"
#include "shopify/oauth.h"

namespace pagelift::api {

// Shopify's App Bridge script; the production page must load exactly this.
inline constexpr std::string_view kShopifyAppBridgeUrl = "https://cdn.shopify.com/shopifycloud/app-bridge.js";

struct AdminUiOptions {
  std::string api_key;                                   // SHOPIFY_API_KEY, given to App Bridge
  std::string app_bridge_url{kShopifyAppBridgeUrl};      // PAGELIFT_APP_BRIDGE_URL (the simulator's stand-in)
  // An origin allowed to frame the app besides the shop and admin.shopify.com: the simulator's "Shopify admin"
  // (the origin of SHOPIFY_ADMIN_BASE_URL), absent in production.
  std::optional<std::string> extra_frame_ancestor;
};

// From the app's credentials and PAGELIFT_APP_BRIDGE_URL (read from the environment; default Shopify's CDN).
AdminUiOptions AdminUiOptionsFromEnvironment(const shopify::AppCredentials& app);

void RegisterAdminUiRoutes(http::Router& router, const AdminUiOptions& options);

}  // namespace pagelift::api
