// The app proxy routes (../shared/spec/shopify-platform.md, "App proxy"): Shopify forwards
// https://{shop}/apps/pagelift/... to {SHOPIFY_APP_URL}/proxy/... with a signed query (shop, logged_in_customer_id,
// path_prefix, timestamp, signature). The storefront script uses them so that its requests stay on the shop's own
// origin (no CORS, no third-party cookies). Each route verifies the signature with the app's secrets, takes the shop
// from the verified query (never from the body) and then does what its /v1 counterpart does.
//   POST /proxy/v1/collect                         the same collection as POST /v1/collect (api/collect.h)
//   GET  /proxy/v1/sdk, /proxy/v1/sdk/{id}.json     the verified shop's SDK document, as GET /v1/sdk (api/sdk.h)
//   POST /proxy/v1/assign                          the verified shop's assignment, as POST /v1/assign (api/assign.h)
#pragma once

#include <string>
#include <vector>

#include "collect/collector.h"
#include "db/database.h"
#include "experiments/repository.h"
#include "experiments/sdk_document.h"
#include "http/router.h"

namespace pagelift::api {

// `secrets`: SHOPIFY_API_SECRET's values (newest first; any of them verifies). The database, the collector, the
// SDK document cache and the experiments repository must outlive the router's server.
void RegisterProxyRoutes(http::Router& router, db::Database& database, collect::Collector& collector,
                         experiments::SdkDocumentCache& sdk_cache, const experiments::Repository& experiments,
                         std::vector<std::string> secrets);

}  // namespace pagelift::api
