// GET /auth/install and GET /auth/callback: the OAuth authorization-code grant (../shared/spec/shopify-platform.md,
// "Install and authentication"). The capability (nonces, token exchange, storing tokens) is src/shopify/oauth.h; this
// file maps requests and outcomes to redirects and error responses. Every failure is a 400/401 with the error body;
// nothing secret (code, tokens, hmac) is logged.
#pragma once

#include "api/session.h"
#include "http/router.h"

namespace pagelift::api {

// `deps` must outlive the router.
void RegisterAuthRoutes(http::Router& router, const AuthDeps& deps);

// Where the callback sends the merchant once the shop is installed: the embedded app in the Shopify admin
// (https://{decoded host}/apps/{api_key}); with the simulator (SHOPIFY_ADMIN_BASE_URL set) the app's own
// {app_url}/app?shop=…&host=…, since there is no Shopify admin to frame it.
std::string PostInstallRedirect(const shopify::AppCredentials& app, std::string_view shop,
                                const std::optional<std::string>& host_param);

}  // namespace pagelift::api
