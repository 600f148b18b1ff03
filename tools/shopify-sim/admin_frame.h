// The simulator's stand-in for the Shopify admin around an embedded app (issue 7):
//   GET /{shop}/admin/apps/{api_key}        the "Shopify admin" page: a top bar and an iframe of the app at
//                                           {app_url}/app?shop=…&host=…&embedded=1, as Shopify frames embedded apps
//   GET /_sim/app-bridge.js                 a stand-in for App Bridge (cdn.shopify.com/shopifycloud/app-bridge.js):
//                                           defines window.shopify.idToken(), which fetches a fresh session token
//   GET /_sim/app-bridge/session-token?shop=…  that token: HS256, signed with the app secret, Shopify's claims
//                                           (iss, dest, aud, sub, exp, nbf, iat, jti, sid); CORS-open, since the app
//                                           runs on another origin
// pagelift serves the stand-in's URL in place of Shopify's when PAGELIFT_APP_BRIDGE_URL points at it. The admin page's
// URL is shopify::EmbeddedAdminUrl(simulator base URL, shop, api_key) (src/shopify/urls.h), what `pagelift demo` prints.
#pragma once

#include <string>
#include <string_view>

#include "http/router.h"

namespace pagelift::shopify_sim {

struct AdminFrameOptions {
  std::string api_key;
  std::string api_secret;  // signs the session tokens
  std::string app_url;     // the app's URL (SIM_APP_URL, the first redirect URL); only its origin is used
};

void RegisterAdminFrameRoutes(http::Router& router, AdminFrameOptions options);

// The App Bridge stand-in's URL on the simulator at `sim_base_url` (PAGELIFT_APP_BRIDGE_URL for the app).
std::string AppBridgeStandInUrl(std::string_view sim_base_url);

}  // namespace pagelift::shopify_sim
