// GET /v1/sdk/{shop_public_id}.json: the shop's running experiments for pagelift.js (experiments/sdk_document.h),
// from each server's memory. Strong ETag (hash of the bytes) with If-None-Match → 304, `Cache-Control: public,
// max-age=30` (browsers and CDNs keep it briefly; a change reaches every server's memory within seconds through
// LISTEN/NOTIFY), and `Access-Control-Allow-Origin: *` because the storefront's origin is the shop's, not ours.
// Also the CORS pieces every storefront-facing route of this kind shares (/v1/sdk, /v1/assign): credential-free
// calls from any shop's origin, so `*` is the right answer; a preflight OPTIONS is answered 204.
#pragma once

#include <string>

#include "db/database.h"
#include "experiments/sdk_document.h"
#include "http/router.h"

namespace pagelift::api {

// Access-Control-Allow-Origin: * and Vary: Accept-Encoding on a storefront response.
void AddStorefrontCors(http::Response& response);

// OPTIONS `pattern`: 204 with Access-Control-Allow-Origin: *, -Allow-Methods `methods` (e.g. "GET, OPTIONS"),
// -Allow-Headers Content-Type and If-None-Match, -Max-Age one day (browsers skip the preflight meanwhile).
void RegisterStorefrontPreflight(http::Router& router, const std::string& pattern, const std::string& methods);

// The answer to GET /v1/sdk/{public_id}.json; also called by the app proxy's GET /proxy/v1/sdk (api/proxy.h) with
// the shop its signature verified.
boost::asio::awaitable<http::Response> HandleSdk(db::Database& database, experiments::SdkDocumentCache& cache,
                                                 http::Request& request, http::RequestContext& context,
                                                 std::string public_id);

// The cache (and its listener, started by the caller) must outlive the router's server.
void RegisterSdkRoutes(http::Router& router, db::Database& database, experiments::SdkDocumentCache& cache);

}  // namespace pagelift::api
