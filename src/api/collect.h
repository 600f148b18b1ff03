// POST /v1/collect: the storefront's event batches (ARCHITECTURE.md, "Collect" and the wire format in "Contract").
// Translates the request into collect:: calls and the result into the contract's response; the rules live in
// src/collect.
#pragma once

#include "db/database.h"
#include "http/router.h"

namespace pagelift::api {

void RegisterCollectRoutes(http::Router& router, db::Database& database);

}  // namespace pagelift::api
