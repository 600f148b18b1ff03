// POST /v1/collect: the storefront's event batches (ARCHITECTURE.md, "Collect" and the wire format in "Contract").
// Translates the request into collect::Collector calls and the outcome into the contract's response; the rules live
// in src/collect. 200 {"accepted", "duplicates", "rejected"} is sent only after the accepted events are committed.
#pragma once

#include <optional>
#include <string>

#include "collect/collector.h"
#include "http/router.h"

namespace pagelift::api {

// The collector must outlive the router's server. Wire its metrics with
//   metrics.AddSource([&collector](std::string& out) { collector.AppendMetrics(out); });
void RegisterCollectRoutes(http::Router& router, collect::Collector& collector);

// The collect endpoint's limits (body size, gzip, JSON or text/plain), shared by every route that collects.
http::RouteOptions CollectRouteOptions();

// Handles one collect request: bot filter, batch validation, storage, the contract's response. `verified_shop` is the
// shop's public id when the caller has already established it (the app proxy's signature): the batch may then omit
// "shop", and a batch naming another shop is a 403.
boost::asio::awaitable<http::Response> HandleCollect(collect::Collector& collector, http::Request& request,
                                                     http::RequestContext& context,
                                                     std::optional<std::string> verified_shop = std::nullopt);

}  // namespace pagelift::api
