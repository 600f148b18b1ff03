// POST /v1/collect: the storefront's event batches (ARCHITECTURE.md, "Collect" and the wire format in "Contract").
// Translates the request into collect::Collector calls and the outcome into the contract's response; the rules live
// in src/collect. 200 {"accepted", "duplicates", "rejected"} is sent only after the accepted events are committed.
#pragma once

#include "collect/collector.h"
#include "http/router.h"

namespace pagelift::api {

// The collector must outlive the router's server. Wire its metrics with
//   metrics.AddSource([&collector](std::string& out) { collector.AppendMetrics(out); });
void RegisterCollectRoutes(http::Router& router, collect::Collector& collector);

}  // namespace pagelift::api
