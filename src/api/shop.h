// GET /api/shop and GET/PUT /api/settings: the authenticated shop's own record and settings (session-token auth,
// src/api/session.h). The shop is always the token's; nothing in the request can name another.
// /api/shop also reports tracking: whether the published theme has pagelift's app embed on (src/api/app_embed.h,
// cached per shop; `?recheck=1` asks Shopify again) and how many storefront events arrived in the last 24 hours.
#pragma once

#include "api/session.h"
#include "http/router.h"

namespace pagelift::api {

// `deps` must outlive the router.
void RegisterShopRoutes(http::Router& router, const AuthDeps& deps);

}  // namespace pagelift::api
