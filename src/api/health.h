// GET /healthz (the process is up), GET /readyz (PostgreSQL reachable and migrations current), GET /metrics.
#pragma once

#include "db/database.h"
#include "http/metrics.h"
#include "http/router.h"

namespace pagelift::api {

void RegisterHealthRoutes(http::Router& router, db::Database& database, http::Metrics& metrics);

}  // namespace pagelift::api
